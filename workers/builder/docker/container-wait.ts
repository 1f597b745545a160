// POST /containers/{id}/wait, dialled as a stream. The Engine answers its headers at once and the body when
// the container exits; dockerode's own wait() never settles when the connection is cut in between (the
// Engine killed under a running step), since its modem listens for neither the body's error nor its close.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

/** Resolves with the container's exit code; rejects with an ECONNRESET error when the Engine went away first. */
export function waitForExit(container: Docker.Container): Promise<number> {
  return new Promise((resolve, reject) => {
    container.modem.dial(
      { path: `/containers/${container.id}/wait?`, method: 'POST', options: {}, isStream: true, statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' } } as unknown as Parameters<Docker['modem']['dial']>[0],
      (err: unknown, body: unknown) => {
        if (err) return reject(err);
        readExit(body as Readable).then(resolve, reject);
      },
    );
  });
}

function readExit(body: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('end', () => {
      ended = true;
      const text = Buffer.concat(chunks).toString('utf8');
      const code = (JSON.parse(text) as { StatusCode?: unknown }).StatusCode;
      if (typeof code === 'number') resolve(code);
      else reject(new Error(`the Engine's wait answer has no exit code: ${text.slice(0, 200)}`));
    });
    const cut = () => {
      if (!ended) reject(Object.assign(new Error('the connection was cut before the container exited'), { code: 'ECONNRESET' }));
    };
    body.on('error', cut);
    body.on('close', cut);
  });
}
