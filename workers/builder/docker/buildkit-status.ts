// Decodes the BuildKit StatusResponse protobufs that Docker's build API streams as
// `moby.buildkit.trace` aux messages, into plain typed objects.
import protobuf from 'protobufjs';

export interface Vertex {
  digest: string;
  inputs: string[];
  name: string;
  cached: boolean;
  started?: Date;
  completed?: Date;
  error: string;
}

export interface VertexStatus {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  timestamp?: Date;
  started?: Date;
  completed?: Date;
}

export interface VertexLog {
  vertex: string;
  timestamp?: Date;
  /** 1 = stdout, 2 = stderr */
  stream: number;
  msg: Uint8Array;
}

export interface VertexWarning {
  vertex: string;
  level: number;
  short: string;
}

export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
  warnings: VertexWarning[];
}

// Field numbers follow moby/buildkit api/services/control/control.proto. Only what the
// progress printer needs is declared; protobufjs skips unknown fields (progressGroup,
// warning detail/ranges). The schema lives in code so it ships with `tsc` output.
// Timestamp is declared locally: it is wire-identical to google.protobuf.Timestamp and
// avoids protobufjs's well-known-type wrappers.
const root = protobuf.Root.fromJSON({
  nested: {
    slipway: {
      nested: {
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
        Vertex: {
          fields: {
            digest: { type: 'string', id: 1 },
            inputs: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            cached: { type: 'bool', id: 4 },
            started: { type: 'Timestamp', id: 5 },
            completed: { type: 'Timestamp', id: 6 },
            error: { type: 'string', id: 7 },
          },
        },
        VertexStatus: {
          fields: {
            ID: { type: 'string', id: 1 },
            vertex: { type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            current: { type: 'int64', id: 4 },
            total: { type: 'int64', id: 5 },
            timestamp: { type: 'Timestamp', id: 6 },
            started: { type: 'Timestamp', id: 7 },
            completed: { type: 'Timestamp', id: 8 },
          },
        },
        VertexLog: {
          fields: {
            vertex: { type: 'string', id: 1 },
            timestamp: { type: 'Timestamp', id: 2 },
            stream: { type: 'int64', id: 3 },
            msg: { type: 'bytes', id: 4 },
          },
        },
        VertexWarning: {
          fields: {
            vertex: { type: 'string', id: 1 },
            level: { type: 'int64', id: 2 },
            short: { type: 'bytes', id: 3 },
          },
        },
        StatusResponse: {
          fields: {
            vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
            statuses: { rule: 'repeated', type: 'VertexStatus', id: 2 },
            logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
            warnings: { rule: 'repeated', type: 'VertexWarning', id: 4 },
          },
        },
      },
    },
  },
});

const StatusResponseType = root.lookupType('slipway.StatusResponse');

// Shape of StatusResponseType.toObject() with the options used below.
interface RawTimestamp { seconds: number; nanos: number }
type Raw = Record<string, any>;

function toDate(ts: RawTimestamp | null | undefined): Date | undefined {
  if (!ts) return undefined;
  return new Date(ts.seconds * 1000 + Math.floor(ts.nanos / 1e6));
}

/** Decodes one StatusResponse; throws if `buf` is not a valid protobuf encoding. */
export function decodeStatusResponse(buf: Uint8Array): StatusResponse {
  const message = StatusResponseType.decode(buf);
  // longs: Number is safe here: byte counts and timestamps stay far below 2^53.
  const raw = StatusResponseType.toObject(message, { longs: Number, defaults: true, arrays: true }) as Raw;
  const text = new TextDecoder();
  return {
    vertexes: (raw.vertexes as Raw[]).map((v) => ({
      digest: v.digest,
      inputs: v.inputs,
      name: v.name,
      cached: v.cached,
      started: toDate(v.started),
      completed: toDate(v.completed),
      error: v.error,
    })),
    statuses: (raw.statuses as Raw[]).map((s) => ({
      id: s.ID,
      vertex: s.vertex,
      name: s.name,
      current: s.current,
      total: s.total,
      timestamp: toDate(s.timestamp),
      started: toDate(s.started),
      completed: toDate(s.completed),
    })),
    logs: (raw.logs as Raw[]).map((l) => ({
      vertex: l.vertex,
      timestamp: toDate(l.timestamp),
      stream: l.stream,
      msg: new Uint8Array(l.msg),
    })),
    warnings: (raw.warnings as Raw[]).map((w) => ({
      vertex: w.vertex,
      level: w.level,
      short: text.decode(w.short),
    })),
  };
}
