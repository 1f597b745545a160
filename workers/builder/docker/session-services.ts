// The gRPC services a BuildKit session serves, as BuildKit's own client defines them. The .proto text is
// written for Slipway from BuildKit's API (only what Slipway answers) and kept in code so it ships with the
// compiled worker; protobufjs encodes the messages, @grpc/grpc-js serves them.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

// Mirrors moby/buildkit session/secrets/secrets.proto.
const SECRETS_PROTO = `
syntax = "proto3";
package moby.buildkit.secrets.v1;
service Secrets {
  rpc GetSecret(GetSecretRequest) returns (GetSecretResponse);
}
message GetSecretRequest {
  string ID = 1;
  map<string, string> annotations = 2;
}
message GetSecretResponse {
  bytes data = 1;
}
`;

// Mirrors moby/buildkit session/auth/auth.proto, its Credentials call only: BuildKit falls back to it when
// FetchToken and GetTokenAuthority answer Unimplemented, and then fetches registry tokens itself.
const AUTH_PROTO = `
syntax = "proto3";
package moby.filesync.v1;
service Auth {
  rpc Credentials(CredentialsRequest) returns (CredentialsResponse);
}
message CredentialsRequest {
  string Host = 1;
}
message CredentialsResponse {
  string Username = 1;
  string Secret = 2;
}
`;

// Mirrors grpc/grpc-proto grpc/health/v1/health.proto, Check only: BuildKit checks its session's health
// every second and drops a session that does not answer (a build would then lose its secrets midway).
const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
}
message HealthCheckRequest {
  string service = 1;
}
message HealthCheckResponse {
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
    SERVICE_UNKNOWN = 3;
  }
  ServingStatus status = 1;
}
`;

let root: protobuf.Root | undefined;
function types(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    for (const text of [SECRETS_PROTO, AUTH_PROTO, HEALTH_PROTO]) protobuf.parse(text, root, { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** A unary method of `service` (its full name), with its messages read and written as plain objects. */
function unary<Req, Res>(service: string, method: string, request: string, response: string): MethodDefinition<Req, Res> {
  const req = types().lookupType(`${service.slice(0, service.lastIndexOf('.'))}.${request}`);
  const res = types().lookupType(`${service.slice(0, service.lastIndexOf('.'))}.${response}`);
  return {
    path: `/${service}/${method}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value) => Buffer.from(req.encode(req.fromObject(value as object)).finish()),
    requestDeserialize: (bytes) => req.toObject(req.decode(bytes), { defaults: true }) as Req,
    responseSerialize: (value) => Buffer.from(res.encode(res.fromObject(value as object)).finish()),
    responseDeserialize: (bytes) => res.toObject(res.decode(bytes), { defaults: true }) as Res,
  };
}

export interface GetSecretRequest {
  ID: string;
}
export interface GetSecretResponse {
  data: Uint8Array;
}
export interface CredentialsRequest {
  Host: string;
}
export interface CredentialsResponse {
  Username?: string;
  Secret?: string;
}
export interface HealthCheckResponse {
  status: number;
}

export const SERVING = 1;

export function secretsService(): ServiceDefinition {
  return { GetSecret: unary<GetSecretRequest, GetSecretResponse>('moby.buildkit.secrets.v1.Secrets', 'GetSecret', 'GetSecretRequest', 'GetSecretResponse') };
}

export function authService(): ServiceDefinition {
  return { Credentials: unary<CredentialsRequest, CredentialsResponse>('moby.filesync.v1.Auth', 'Credentials', 'CredentialsRequest', 'CredentialsResponse') };
}

export function healthService(): ServiceDefinition {
  return { Check: unary<object, HealthCheckResponse>('grpc.health.v1.Health', 'Check', 'HealthCheckRequest', 'HealthCheckResponse') };
}

/** Every method served, as the session announces them to the daemon (X-Docker-Expose-Session-Grpc-Method). */
export function servedMethods(): string[] {
  return [secretsService(), authService(), healthService()].flatMap((service) => Object.values(service).map((m) => m.path));
}
