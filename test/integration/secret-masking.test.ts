// A build that prints a multi-line secret build arg, its base64 and its URL-encoded forms leaves none of them
// in the run's log; a secret too short to mask is refused when the run is submitted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runLog, submit, waitForRun } from '../support/api.js';
import { contextArchive } from '../support/archives.js';
import { BASE_IMAGE, startTestStack, uniqueName, type TestStack } from '../support/stack.js';

describe('secret masking in a build log', () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack?.close());

  it('masks a multi-line secret, line by line and in its base64 and URL-encoded forms', async () => {
    const key = ['-----BEGIN TEST KEY-----', `MIIEvQIBADANBgkq+hkiG9w0/BAQEFAAS=${uniqueName('k')}`, 'line two of the key/with+signs=', '-----END TEST KEY-----'].join('\n');
    const dockerfile = `FROM ${BASE_IMAGE}
ARG KEY
RUN echo "plain:"; echo "$KEY"; echo "b64:"; printf '%s' "$KEY" | base64; printf '%s\\n' "$KEY" | base64 -w 0; echo; echo "url:"; printf '%s' "$KEY" | sed -e 's/ /%20/g; s#/#%2F#g; s/+/%2B/g; s/=/%3D/g' | awk 'BEGIN { ORS = "" } NR > 1 { print "%0A" } { print } END { print "\\n" }'; echo "done"
`;
    const res = await submit(stack.url, await contextArchive(dockerfile), { noPush: true, secretBuildArgs: { KEY: key } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const run = await waitForRun(stack.url, res.body.id);
    const log = await runLog(stack.url, run.id);
    assert.equal(run.status, 'succeeded', `${run.error}\n${log}`);
    assert.match(log, /plain:[\s\S]*b64:[\s\S]*url:[\s\S]*done/, 'the build printed its forms');

    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const forbidden = [
      ...key.split('\n').slice(1, -1),
      encodeURIComponent(key),
      b64(key),
      ...(b64(key).match(/.{1,76}/g) ?? []),
      b64(`${key}\n`),
    ];
    for (const secret of forbidden) assert.ok(!log.includes(secret), `the log shows ${JSON.stringify(secret)}:\n${log}`);
    assert.match(log, /\*\*\*/);
  });

  it('refuses a secret too short to mask, saying so', async () => {
    const res = await submit(stack.url, await contextArchive(`FROM ${BASE_IMAGE}\n`), { noPush: true, secretBuildArgs: { PIN: '1234' } });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /secret PIN is shorter than 6 characters, too short to be masked/);
  });
});
