// The dashboard's graph drawing: base images left of the tasks built on them, left of the images those push,
// with build-time bases told apart and long references shortened with their tag kept.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Graph } from '../../src/contract/graph.js';
import { imageNode, layoutGraph, shorten, taskNode } from '../../web/graph-layout.js';

const node = (task: string, bases: [string, 'runtime' | 'buildtime'][], outputs: string[]): Graph['tasks'][number] => ({
  task,
  platforms: ['linux/amd64'],
  bases: bases.map(([image, kind]) => ({ image, kind, uses: [] })),
  outputs,
  runId: 'r0000001',
  updatedAt: '2026-01-01T00:00:00Z',
});

describe('dashboard graph layout', () => {
  const graph: Graph = {
    images: [],
    tasks: [node('mid', [['reg/base:1', 'runtime']], ['reg/mid:1']), node('app', [['reg/mid:1', 'runtime'], ['reg/tools:1', 'buildtime']], ['reg/app:1'])],
  };
  const laid = layoutGraph(graph);
  const x = (id: string) => laid.nodes.find((n) => n.id === id)!.x;

  it('draws each image once, even when one task pushes what another builds on, and every edge', () => {
    assert.deepEqual(laid.nodes.map((n) => n.id).sort(), [imageNode('reg/app:1'), imageNode('reg/base:1'), imageNode('reg/mid:1'), imageNode('reg/tools:1'), taskNode('app'), taskNode('mid')].sort());
    assert.equal(laid.edges.length, 5);
    assert.ok(laid.edges.every((e) => e.points.length >= 2));
  });

  it('flows left to right: base, task, pushed image, the task built on it', () => {
    assert.ok(x(imageNode('reg/base:1')) < x(taskNode('mid')));
    assert.ok(x(taskNode('mid')) < x(imageNode('reg/mid:1')));
    assert.ok(x(imageNode('reg/mid:1')) < x(taskNode('app')));
    assert.ok(laid.nodes.every((n) => n.x + n.width / 2 <= laid.width + 1 && n.y + n.height / 2 <= laid.height + 1), 'inside the drawing');
  });

  it('marks only build-time bases as such', () => {
    const buildtime = laid.edges.filter((e) => e.buildtime).map((e) => `${e.from} ${e.to}`);
    assert.deepEqual(buildtime, [`${imageNode('reg/tools:1')} ${taskNode('app')}`]);
  });

  it('shortens a long reference in the middle, keeping its start and tag', () => {
    assert.equal(shorten('short:1'), 'short:1');
    const long = shorten('127.0.0.1:5000/some-team/a-rather-long-repository-name:v1.2.3', 30);
    assert.equal(long.length, 30);
    assert.ok(long.startsWith('127.0.0.1:5000') && long.endsWith(':v1.2.3') && long.includes('…'), long);
  });

  it('an empty graph is an empty drawing', () => {
    assert.deepEqual(layoutGraph({ images: [], tasks: [] }).nodes, []);
  });
});
