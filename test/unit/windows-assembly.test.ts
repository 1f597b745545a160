// Unit tests of daemonless Windows assembly: which Dockerfiles it takes (and the line it refuses), the Windows
// layer tar read back with tar-stream, and the image config a Dockerfile produces from a base config.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import tar from 'tar-stream';
import { canAssembleWithoutDaemon } from '../../workers/builder/windows/assemble.js';
import { parseWindowsDockerfile } from '../../src/dockerfile/windows/plan.js';
import { WindowsAssemblyError } from '../../src/dockerfile/windows/errors.js';
import { evaluateDockerfile, resolveFromImage } from '../../workers/builder/windows/evaluate.js';
import { HISTORY_COMMENT, deriveImageConfig, type ImageConfig } from '../../workers/builder/windows/image-config.js';
import { LayerConflictError, builtinUsersSecurityDescriptor, writeWindowsLayer } from '../../workers/builder/windows/layer-writer.js';

describe('canAssembleWithoutDaemon', () => {
  const accepted: [name: string, dockerfile: string][] = [
    ['metadata and COPY', 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY app/ C:/app\nCMD ["C:\\\\app\\\\app.exe"]\n'],
    ['ARG before FROM', 'ARG TAG=ltsc2022\nFROM mcr.microsoft.com/windows/nanoserver:${TAG}\n'],
    ['every supported instruction', '# escape=`\nFROM base\nARG V=1\nENV A=1 B="two words"\nENV LEGACY some value\nLABEL a=b\nWORKDIR C:\\app\nUSER ContainerUser\nEXPOSE 80 443/tcp\nVOLUME C:\\data\nSHELL ["powershell", "-Command"]\nSTOPSIGNAL SIGTERM\nMAINTAINER me\nCOPY --link a.txt b.txt C:\\app\\\nADD --unpack=false x.tar.gz C:\\x\\\nENTRYPOINT ["app.exe"]\nCMD --help\n'],
    ['FROM with AS and --platform', 'FROM --platform=windows/amd64 base AS final\n'],
    ['lower-case keywords and continuations', 'from base\ncopy a \\\n  b \\\n  C:/app/\n'],
    ['comments and blank lines', '# syntax=docker/dockerfile:1\n\n# a comment\nFROM base\n\n# another\nLABEL x=y\n'],
  ];
  for (const [name, dockerfile] of accepted) {
    it(`accepts ${name}`, () => assert.deepEqual(canAssembleWithoutDaemon(dockerfile), { ok: true }));
  }

  const refused: [name: string, dockerfile: string, line: number | undefined, reason: RegExp][] = [
    ['RUN', 'FROM base\nCOPY a C:/a\nRUN echo hi\n', 3, /RUN executes a command/],
    ['RUN continued over lines', 'FROM base\nRUN powershell `\n  -Command x\n'.replace('`', '\\'), 2, /RUN/],
    ['RUN in JSON form', 'FROM base\nRUN ["cmd", "/c", "dir"]\n', 2, /RUN/],
    ['ONBUILD', 'FROM base\nONBUILD COPY . C:/app\n', 2, /ONBUILD/],
    ['HEALTHCHECK', 'FROM base\nHEALTHCHECK CMD curl -f http://localhost/\n', 2, /HEALTHCHECK/],
    ['multi-stage', 'FROM base AS build\nCOPY a C:/a\nFROM base\n', 3, /multi-stage/],
    ['COPY --from', 'FROM base\nCOPY --from=build C:/out C:/app\n', 2, /another image or stage/],
    ['COPY --chown', 'FROM base\nCOPY --chown=ContainerUser a C:/a\n', 2, /--chown/],
    ['COPY --chmod', 'FROM base\nCOPY --chmod=755 a C:/a\n', 2, /--chmod/],
    ['COPY --exclude', 'FROM base\nCOPY --exclude=*.pdb . C:/app\n', 2, /--exclude/],
    ['ADD from a URL', 'FROM base\nADD https://example.com/tool.zip C:/tools/\n', 2, /remote sources/],
    ['ADD from git', 'FROM base\nADD git@github.com:org/repo.git C:/src\n', 2, /remote sources/],
    ['a here-document', 'FROM base\nCOPY <<EOF C:/a.txt\nhello\nEOF\n', 2, /here-document/],
    ['an instruction before FROM', 'LABEL a=b\nFROM base\n', 1, /before FROM/],
    ['no FROM', 'ARG A=1\n', undefined, /no FROM/],
    ['an unknown instruction', 'FROM base\nCOPPY a b\n', 2, /unknown instruction COPPY/],
    ['SHELL in shell form', 'FROM base\nSHELL powershell -Command\n', 2, /JSON array/],
    ['COPY with one word', 'FROM base\nCOPY onlyone\n', 2, /source and a destination/],
    ['ENV without =', 'FROM base\nENV A=1 B\n', 2, /can't find =/],
    ['FROM with extra words', 'FROM base extra\n', 1, /AS <name>/],
    ['FROM --something', 'FROM --pull=always base\n', 1, /--pull/],
  ];
  for (const [name, dockerfile, line, reason] of refused) {
    it(`refuses ${name}${line ? ` at line ${line}` : ''}`, () => {
      const check = canAssembleWithoutDaemon(dockerfile);
      assert.equal(check.ok, false);
      if (check.ok) return;
      assert.equal(check.line, line);
      assert.match(check.reason, reason);
      if (line !== undefined) assert.match(check.reason, new RegExp(`^line ${line}: `));
    });
  }
});

interface ReadEntry {
  name: string;
  type: string;
  pax: Record<string, string>;
  body: string;
  mtime: number;
}

async function readLayer(layer: Buffer): Promise<ReadEntry[]> {
  const extract = tar.extract();
  const entries: ReadEntry[] = [];
  Readable.from([layer]).pipe(extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    const header = entry.header;
    entries.push({ name: header.name, type: header.type, pax: (header.pax ?? {}) as Record<string, string>, body: Buffer.concat(chunks).toString(), mtime: header.mtime.getTime() });
  }
  return entries;
}

describe('writeWindowsLayer', () => {
  const t = new Date('2024-05-01T10:00:00Z');
  const sd = builtinUsersSecurityDescriptor().toString('base64');

  it('puts files below Files/, with Hives/, every parent directory and the PAX records hcsshim reads', async () => {
    const entries = await readLayer(
      await writeWindowsLayer([
        { path: ['app', 'bin', 'app.exe'], kind: 'file', mtime: t, data: Buffer.from('MZ binary') },
        { path: ['app', 'readme.txt'], kind: 'file', mtime: t, data: Buffer.from('hello') },
      ]),
    );
    assert.deepEqual(
      entries.map((e) => [e.name, e.type]),
      [
        ['Files', 'directory'],
        ['Hives', 'directory'],
        ['Files/app', 'directory'],
        ['Files/app/bin', 'directory'],
        ['Files/app/bin/app.exe', 'file'],
        ['Files/app/readme.txt', 'file'],
      ],
    );
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get('Files/app/readme.txt')!.body, 'hello');
    assert.equal(byName.get('Files/app/bin/app.exe')!.mtime, t.getTime());
    assert.deepEqual(byName.get('Files/app/readme.txt')!.pax, { path: 'Files/app/readme.txt', 'MSWINDOWS.fileattr': '32', 'MSWINDOWS.rawsd': sd });
    assert.deepEqual(byName.get('Files/app')!.pax, { path: 'Files/app', 'MSWINDOWS.fileattr': '16', 'MSWINDOWS.rawsd': sd });
    // The roots carry attributes only: C:\ keeps its own ACL.
    assert.deepEqual(byName.get('Files')!.pax, { path: 'Files', 'MSWINDOWS.fileattr': '16' });
    assert.deepEqual(byName.get('Hives')!.pax, { path: 'Hives', 'MSWINDOWS.fileattr': '16' });
  });

  it('writes the O:BUG:BU security descriptor crane append uses', () => {
    const descriptor = builtinUsersSecurityDescriptor();
    assert.equal(descriptor.toString('base64'), 'AQAAgBQAAAAkAAAAAAAAAAAAAAABAgAAAAAABSAAAAAhAgAAAQIAAAAAAAUgAAAAIQIAAA==');
    assert.equal(descriptor.readUInt16LE(2), 0x8000, 'self-relative, no DACL present');
    assert.equal(descriptor.readUInt32LE(16), 0, 'no DACL offset');
  });

  it('merges duplicates the way NTFS sees them: later files win, first spelling stays', async () => {
    const entries = await readLayer(
      await writeWindowsLayer([
        { path: ['App'], kind: 'directory', mtime: t },
        { path: ['app', 'x.txt'], kind: 'file', mtime: t, data: Buffer.from('first') },
        { path: ['APP', 'X.TXT'], kind: 'file', mtime: t, data: Buffer.from('second') },
      ]),
    );
    assert.deepEqual(
      entries.map((e) => [e.name, e.body]),
      [
        ['Files', ''],
        ['Hives', ''],
        ['Files/App', ''],
        ['Files/App/x.txt', 'second'],
      ],
    );
  });

  it('can leave out the security descriptor', async () => {
    const entries = await readLayer(await writeWindowsLayer([{ path: ['a.txt'], kind: 'file', mtime: t, data: Buffer.from('a') }], { securityDescriptor: null }));
    assert.deepEqual(entries.at(-1)!.pax, { path: 'Files/a.txt', 'MSWINDOWS.fileattr': '32' });
  });

  it('refuses a file where a directory is needed', async () => {
    await assert.rejects(
      writeWindowsLayer([
        { path: ['app'], kind: 'file', mtime: t, data: Buffer.from('x') },
        { path: ['app', 'y.txt'], kind: 'file', mtime: t, data: Buffer.from('y') },
      ]),
      LayerConflictError,
    );
  });
});

const baseConfig: ImageConfig = {
  architecture: 'amd64',
  os: 'windows',
  'os.version': '10.0.20348.2340',
  config: { Env: ['Path=C:\\Windows\\system32;C:\\Windows'], Cmd: ['c:\\windows\\system32\\cmd.exe'], User: 'ContainerUser' },
  rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] },
  history: [{ created: '2024-01-01T00:00:00Z', created_by: 'Apply image 10.0.20348.2340' }],
};

function evaluate(dockerfile: string, buildArgs: Record<string, string> = {}) {
  return evaluateDockerfile(parseWindowsDockerfile(dockerfile), baseConfig.config, { buildArgs, buildPlatform: { os: 'linux', architecture: 'amd64' } });
}

describe('config mutation', () => {
  it('applies ENV, WORKDIR, LABEL, ENTRYPOINT and the shell form of CMD, with history', () => {
    const dockerfile = [
      '# escape=`',
      'FROM base',
      'ARG VERSION=1.2.3',
      'ENV APP_HOME=C:\\app `',
      '    PATH="C:\\app\\bin;${PATH}"',
      'WORKDIR $APP_HOME',
      'WORKDIR logs',
      'LABEL org.opencontainers.image.version=$VERSION',
      'COPY app/ .\\',
      'ENTRYPOINT ["C:\\\\app\\\\app.exe"]',
      'CMD --port 80 "quoted arg"',
    ].join('\n');
    const out = evaluate(dockerfile);
    assert.deepEqual(out.config.Env, ['PATH=C:\\app\\bin;C:\\Windows\\system32;C:\\Windows', 'APP_HOME=C:\\app']);
    assert.equal(out.config.WorkingDir, 'C:\\app\\logs');
    assert.deepEqual(out.config.Labels, { 'org.opencontainers.image.version': '1.2.3' });
    assert.deepEqual(out.config.Entrypoint, ['C:\\app\\app.exe']);
    // The classic builder's WCOW form: one pre-escaped command line, the text as written.
    assert.deepEqual(out.config.Cmd, ['cmd /S /C --port 80 "quoted arg"']);
    assert.equal(out.config.ArgsEscaped, true);
    assert.equal(out.config.User, 'ContainerUser');
    assert.deepEqual(
      out.history.map((h) => h.createdBy),
      [
        'ARG VERSION=1.2.3',
        'ENV APP_HOME=C:\\app PATH=C:\\app\\bin;C:\\Windows\\system32;C:\\Windows',
        'WORKDIR C:\\app',
        'WORKDIR C:\\app\\logs',
        'LABEL org.opencontainers.image.version=1.2.3',
        'COPY app/ .\\',
        'ENTRYPOINT ["C:\\\\app\\\\app.exe"]',
        'CMD ["cmd /S /C --port 80 \\"quoted arg\\""]',
      ],
    );
    assert.deepEqual(out.layers, [
      { kind: 'workdir', line: 6, dir: ['app'] },
      { kind: 'workdir', line: 7, dir: ['app', 'logs'] },
      { kind: 'copy', line: 9, keyword: 'COPY', sources: ['app/'], dest: ['app', 'logs'], destIsDirectory: true, unpack: false },
    ]);
    assert.deepEqual(out.history.filter((h) => h.layer !== undefined).map((h) => h.layer), [0, 1, 2]);
  });

  it('wraps shell forms with SHELL, and an ENTRYPOINT drops the base CMD', () => {
    const out = evaluate('FROM base\nSHELL ["powershell", "-Command"]\nENTRYPOINT Write-Host hi\n');
    assert.deepEqual(out.config.Shell, ['powershell', '-Command']);
    assert.deepEqual(out.config.Entrypoint, ['powershell -Command Write-Host hi']);
    assert.equal(out.config.Cmd, undefined);
    const exec = evaluate('FROM base\nCMD ["app.exe", "--x"]\nENTRYPOINT ["run.exe"]\n');
    assert.deepEqual(exec.config.Cmd, ['app.exe', '--x'], 'a CMD of this Dockerfile before ENTRYPOINT stays');
    assert.equal(exec.config.ArgsEscaped, false);
  });

  it('substitutes ENV values from before the instruction, matching names case-insensitively', () => {
    const out = evaluate('FROM base\nENV A=1\nENV A=2 B=$A\nENV path=C:\\\\tools;$Path\n');
    assert.deepEqual(out.config.Env, ['path=C:\\tools;C:\\Windows\\system32;C:\\Windows', 'A=2', 'B=1']);
  });

  it('uses build args for declared ARGs only, keeps their values out of history, and reports the rest', () => {
    const plan = parseWindowsDockerfile('ARG TAG=ltsc2019\nFROM base:$TAG\nARG TOKEN\nARG TAG\nLABEL token=$TOKEN tag=$TAG os=$TARGETOS\nARG TARGETOS\nLABEL os2=$TARGETOS\n');
    const opts = { buildArgs: { TAG: 'ltsc2022', TOKEN: 's3cret', EXTRA: 'x' } };
    assert.equal(resolveFromImage(plan, opts).image, 'base:ltsc2022');
    const out = evaluateDockerfile(plan, baseConfig.config, opts);
    assert.deepEqual(out.config.Labels, { token: 's3cret', tag: 'ltsc2022', os: '', os2: 'windows' });
    assert.deepEqual(out.history.slice(0, 2).map((h) => h.createdBy), ['ARG TOKEN', 'ARG TAG']);
    assert.deepEqual(out.unusedBuildArgs, ['EXTRA']);
  });

  it('sets ports, volumes, the stop signal and the author', () => {
    const out = evaluate('FROM base\nEXPOSE 80 8080-8081/udp\nVOLUME ["C:/data"]\nSTOPSIGNAL SIGINT\nMAINTAINER Jane <jane@example.com>\n');
    assert.deepEqual(out.config.ExposedPorts, { '80/tcp': {}, '8080/udp': {}, '8081/udp': {} });
    assert.deepEqual(out.config.Volumes, { 'C:/data': {} });
    assert.equal(out.config.StopSignal, 'SIGINT');
    assert.equal(out.author, 'Jane <jane@example.com>');
  });

  it('warns when the default escape character eats a Windows path separator', () => {
    const out = evaluate('FROM base\nWORKDIR C:\\app\\bin\n');
    assert.equal(out.config.WorkingDir, 'C:\\appbin');
    assert.match(out.warnings[0]!, /line 2: .*escape character.*# escape=`/);
  });

  it('refuses what Docker refuses, with the line', () => {
    const cases: [dockerfile: string, line: number, message: RegExp][] = [
      ['FROM base\nWORKDIR D:\\\\data\n', 2, /drive D:/],
      ['FROM base\nEXPOSE http\n', 2, /invalid port/],
      ['FROM base\nSTOPSIGNAL SIGNOPE\n', 2, /invalid signal/],
      ['FROM base\nARG U=https://example.com/x.zip\nADD $U C:/x/\n', 3, /remote sources/],
      ['FROM base\nLABEL a="unterminated\n', 2, /double-quote/],
    ];
    for (const [dockerfile, line, message] of cases) {
      assert.throws(() => evaluate(dockerfile), (err: unknown) => err instanceof WindowsAssemblyError && err.line === line && message.test(err.message), dockerfile);
    }
    assert.throws(() => resolveFromImage(parseWindowsDockerfile('FROM scratch\n'), { buildArgs: {} }), /Windows base image/);
    assert.throws(() => resolveFromImage(parseWindowsDockerfile('FROM --platform=linux/amd64 base\n'), { buildArgs: {} }), /only builds windows\/amd64/);
  });

  it('derives the new config: diff_ids and history appended, empty_layer for metadata, unknown fields kept', () => {
    const out = evaluate('FROM base\nENV A=1\nWORKDIR C:/app\nCOPY a.txt C:/app/\n');
    const diffId = `sha256:${'2'.repeat(64)}`;
    const derived = deriveImageConfig(
      { ...baseConfig, container_config: { Cmd: ['old'] }, 'os.features': ['win32k'] } as ImageConfig,
      { config: out.config, history: out.history, diffIds: [undefined, diffId], created: '2024-06-01T00:00:00.000Z' },
    );
    assert.deepEqual(derived.rootfs.diff_ids, [...baseConfig.rootfs.diff_ids, diffId]);
    assert.deepEqual(derived.history!.slice(1), [
      { created: '2024-06-01T00:00:00.000Z', created_by: 'ENV A=1', comment: HISTORY_COMMENT, empty_layer: true },
      { created: '2024-06-01T00:00:00.000Z', created_by: 'WORKDIR C:\\app', comment: HISTORY_COMMENT, empty_layer: true },
      { created: '2024-06-01T00:00:00.000Z', created_by: 'COPY a.txt C:/app/', comment: HISTORY_COMMENT },
    ]);
    assert.equal(derived.os, 'windows');
    assert.equal(derived['os.version'], '10.0.20348.2340');
    assert.deepEqual(derived['os.features'], ['win32k']);
    assert.equal((derived as Record<string, unknown>)['container_config'], undefined);
    assert.equal(derived.config!.WorkingDir, 'C:\\app');
    assert.equal(derived.config!.ArgsEscaped, undefined);
    assert.deepEqual(baseConfig.config!.Env, ['Path=C:\\Windows\\system32;C:\\Windows'], 'the base config is not changed');
  });
});
