// The environment git runs with: isolated from system and user configuration, transports limited by the
// URL policy, and the token present only as a masked, origin-scoped header in environment variables.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseGitUrl } from '../../src/git/url.js';
import { SecretMasker } from '../../src/log.js';
import { gitEnvironment, tokenHeader } from '../../src/git/environment.js';

const policy = { allowInsecure: false, allowPrivateHosts: false, allowFile: false };

/** What git itself reads from an environment: `git config --list` with no repository around. */
function gitConfig(env: Record<string, string>): Map<string, string> {
  const out = execFileSync('git', ['config', '--list'], { env, cwd: env.HOME, encoding: 'utf8' });
  return new Map(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]));
}

describe('gitEnvironment', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-git-env-'));
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('limits transports to https and ssh by default, and git reads it so', () => {
    const config = gitConfig(gitEnvironment({ home, policy }));
    assert.equal(config.get('protocol.allow'), 'never');
    assert.equal(config.get('protocol.https.allow'), 'always');
    assert.equal(config.get('protocol.ssh.allow'), 'always');
    assert.equal(config.get('protocol.http.allow'), 'never');
    assert.equal(config.get('protocol.git.allow'), 'never');
    assert.equal(config.get('protocol.file.allow'), 'never');
    assert.equal(config.get('http.followredirects'), 'false');
    assert.equal(config.get('core.hookspath'), '/dev/null');
  });

  it('opens http, git and file only when the policy allows them, and never follows redirects', () => {
    const config = gitConfig(gitEnvironment({ home, policy: { allowInsecure: true, allowPrivateHosts: true, allowFile: true } }));
    assert.equal(config.get('protocol.http.allow'), 'always');
    assert.equal(config.get('protocol.git.allow'), 'always');
    assert.equal(config.get('protocol.file.allow'), 'always');
    assert.equal(config.get('http.followredirects'), 'false');
  });

  it('reads no system or user configuration, whatever the worker passes', () => {
    fs.writeFileSync(path.join(home, '.gitconfig'), '[url "https://evil.example/"]\n\tinsteadOf = https://github.com/\n');
    const env = gitEnvironment({ home, policy, base: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root', GIT_DIR: '/tmp/x', GIT_CONFIG_PARAMETERS: "'core.sshcommand=evil'", GIT_SSH_COMMAND: 'ssh -i /keys/deploy', https_proxy: 'http://proxy:3128' } });
    assert.equal(env.HOME, home);
    assert.equal(env.GIT_DIR, undefined);
    assert.equal(env.GIT_CONFIG_PARAMETERS, undefined);
    assert.equal(env.GIT_SSH_COMMAND, 'ssh -i /keys/deploy');
    assert.equal(env.https_proxy, 'http://proxy:3128');
    assert.equal(env.GIT_CONFIG_GLOBAL, '/dev/null');
    assert.equal(env.GIT_CONFIG_NOSYSTEM, '1');
    assert.equal(env.GIT_TERMINAL_PROMPT, '0');
    const config = gitConfig(env);
    assert.equal([...config.keys()].some((k) => k.startsWith('url.')), false);
  });

  it('sends the token as a header scoped to the repository origin, and masks it in every form', () => {
    const masker = new SecretMasker();
    const token = 'ghs_0123456789abcdefTOKEN';
    const auth = tokenHeader(parseGitUrl('https://git.example.com:8443/o/r.git'), token, masker);
    assert.equal(auth.origin, 'https://git.example.com:8443/');
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    assert.equal(auth.header, `Authorization: Basic ${basic}`);
    assert.equal(masker.mask(`a ${token} b ${basic} c`), 'a *** b *** c');
    const env = gitEnvironment({ home, policy, auth });
    const config = gitConfig(env);
    assert.equal(config.get('http.https://git.example.com:8443/.extraheader'), auth.header);
    assert.equal(config.get('http.extraheader'), undefined);
  });

  it('brackets an IPv6 origin', () => {
    const auth = tokenHeader(parseGitUrl('https://[2001:db8::1]/o/r.git'), 'tok-123', new SecretMasker());
    assert.equal(auth.origin, 'https://[2001:db8::1]/');
  });
});
