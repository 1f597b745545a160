// Writing one commit's tree into a job's directory straight from the mirror: `read-tree -u` with a private
// index file, so the mirror stays bare, no .git appears in the directory and two jobs never share an index.
// Git itself refuses tree entries such as `.git` or `..` and never writes through a symlink it created.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { BadInputError } from '../../src/errors.js';
import type { GitCli, GitRunOptions, GitRunResult } from '../../src/git/command.js';

/** Makes `dest` if needed; it must be an empty directory (not a symlink to one). */
export async function prepareDestination(dest: string): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  const stat = await fs.lstat(dest);
  if (!stat.isDirectory()) throw new Error(`checkout destination ${dest} is not a directory`);
  if ((await fs.readdir(dest)).length > 0) throw new Error(`checkout destination ${dest} is not empty`);
}

/** Writes the tree of `sha` (present in `mirror`) into `dest`. */
export async function writeTree(git: GitCli, mirror: string, sha: string, dest: string, tmpDir: string, opts: GitRunOptions): Promise<GitRunResult> {
  const index = path.join(tmpDir, `${randomBytes(8).toString('hex')}.index`);
  try {
    return await git.run(['--git-dir', mirror, '--work-tree', dest, 'read-tree', '--reset', '-u', sha], { ...opts, env: { GIT_INDEX_FILE: index } });
  } finally {
    await fs.rm(index, { force: true });
  }
}

/**
 * `root/rel` when every component of `rel` is a real directory: a symlink in the repository (`docker ->
 * /etc`) must not turn the build context into a directory of the worker.
 */
export async function directoryInside(root: string, rel: string, what: string): Promise<string> {
  let current = root;
  for (const part of rel.split('/')) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat) throw new BadInputError(`${what} ${rel} does not exist at this commit`, 'git_subdir_not_found');
    if (stat.isSymbolicLink()) throw new BadInputError(`${what} ${rel} goes through a symbolic link (${path.relative(root, current)}), which is not followed`, 'invalid_git_subdir');
    if (!stat.isDirectory()) throw new BadInputError(`${what} ${rel} is not a directory at this commit`, 'invalid_git_subdir');
  }
  return current;
}
