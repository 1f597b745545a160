// The base-image graph laid out for drawing: base images → the tasks built on them → the images those push
// (which may be other tasks' bases). dagre places the nodes and routes the edges; the page only draws them.
import dagre, { type Edge } from '@dagrejs/dagre';
import type { Graph } from '../src/contract/graph.js';

export interface LaidNode {
  id: string;
  kind: 'image' | 'task';
  /** The image reference or task name, whole. */
  name: string;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidEdge {
  from: string;
  to: string;
  /** A build-time base (a COPY --from or an earlier stage): not under the image that is run. */
  buildtime: boolean;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  nodes: LaidNode[];
  edges: LaidEdge[];
  width: number;
  height: number;
}

const CHAR_PX = 7.2;
const MAX_CHARS = 40;
const NODE_HEIGHT = 44;

export const imageNode = (image: string) => `image:${image}`;
export const taskNode = (task: string) => `task:${task}`;

/** A long reference keeps its start and its tag: `127.0.0.1:5000/te…/app:latest`. */
export function shorten(text: string, max = MAX_CHARS): string {
  if (text.length <= max) return text;
  const tail = Math.floor((max - 1) / 2);
  return `${text.slice(0, max - 1 - tail)}…${text.slice(-tail)}`;
}

export function layoutGraph(graph: Graph): GraphLayout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 56, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const nodes = new Map<string, Omit<LaidNode, 'x' | 'y'>>();
  const add = (kind: LaidNode['kind'], name: string) => {
    const id = kind === 'image' ? imageNode(name) : taskNode(name);
    if (nodes.has(id)) return id;
    const label = shorten(name);
    const node = { id, kind, name, label, width: Math.max(90, Math.ceil(label.length * CHAR_PX) + 24), height: NODE_HEIGHT };
    nodes.set(id, node);
    g.setNode(id, { width: node.width, height: node.height });
    return id;
  };
  const kinds = new Map<string, boolean>();
  for (const t of graph.tasks) {
    const task = add('task', t.task);
    for (const b of t.bases) {
      const from = add('image', b.image);
      g.setEdge(from, task);
      kinds.set(`${from}\n${task}`, b.kind === 'buildtime');
    }
    for (const out of t.outputs) g.setEdge(task, add('image', out));
  }
  dagre.layout(g);
  const laid = g.graph();
  return {
    nodes: [...nodes.values()].map((n) => ({ ...n, x: g.node(n.id).x, y: g.node(n.id).y })),
    edges: g.edges().map((e: Edge) => ({ from: e.v, to: e.w, buildtime: kinds.get(`${e.v}\n${e.w}`) ?? false, points: g.edge(e).points ?? [] })),
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
  };
}
