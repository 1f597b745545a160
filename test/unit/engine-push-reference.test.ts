// What the worker asks the Engine to push: a tag after the registry's port is a tag, a port is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameAndTag } from '../../workers/builder/docker/docker-engine.js';
import { EngineError } from '../../workers/builder/image-builder.js';

describe('nameAndTag', () => {
  const cases: [string, { name: string; tag: string }][] = [
    ['127.0.0.1:5000/app:v1', { name: '127.0.0.1:5000/app', tag: 'v1' }],
    ['127.0.0.1:5000/app', { name: '127.0.0.1:5000/app', tag: 'latest' }],
    ['127.0.0.1:5000/team/app', { name: '127.0.0.1:5000/team/app', tag: 'latest' }],
    ['[::1]:5000/app:1.2.3', { name: '[::1]:5000/app', tag: '1.2.3' }],
    ['registry.example/app:latest', { name: 'registry.example/app', tag: 'latest' }],
    ['app', { name: 'app', tag: 'latest' }],
  ];
  for (const [reference, expected] of cases) it(`${reference} → ${expected.name} tag ${expected.tag}`, () => assert.deepEqual(nameAndTag(reference), expected));

  it('refuses a digest reference, which cannot be pushed by tag', () => {
    assert.throws(() => nameAndTag('127.0.0.1:5000/app@sha256:' + 'a'.repeat(64)), (err: Error) => err instanceof EngineError && /only a tag/.test(err.message));
  });
});
