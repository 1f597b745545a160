// The bench's account of the Engine's store at the start of a run, read from `docker system df`: a full
// store slows the Engine, so results mean little without it; a line it cannot read leaves it out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEngineStore } from '../../bench/lib/machine.js';

describe('parseEngineStore', () => {
  it('reads the image count and the build cache from docker system df', () => {
    const text = 'Images\t1632\t3.346GB\nContainers\t0\t0B\nLocal Volumes\t0\t0B\nBuild Cache\t14903\t17.25GB\n';
    assert.deepEqual(parseEngineStore(text), { images: 1632, buildCacheRecords: 14903, buildCacheSize: '17.25GB' });
  });

  it('leaves the store out when the Engine did not answer or answered something else', () => {
    assert.equal(parseEngineStore(''), undefined);
    assert.equal(parseEngineStore('Cannot connect to the Docker daemon at unix:///var/run/docker.sock'), undefined);
    assert.equal(parseEngineStore('Images\tmany\t1GB\nBuild Cache\t3\t1GB'), undefined);
    assert.equal(parseEngineStore('Images\t3\t1GB'), undefined);
  });
});
