// The session's messages on the wire as BuildKit's Go client writes and reads them: field numbers and types
// from moby/buildkit's secrets.proto and auth.proto, and grpc's health.proto.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authService, healthService, secretsService, servedMethods } from '../../workers/builder/docker/session-services.js';

const hex = (b: Buffer) => b.toString('hex');

describe('BuildKit session services', () => {
  it('reads GetSecretRequest{ID} and writes GetSecretResponse{data} as bytes', () => {
    const { GetSecret } = secretsService();
    // ID = "tok" (field 1, string); an annotations map entry (field 2) from newer clients is read past.
    const request = Buffer.from('0a03746f6b' + '12060a0161120162', 'hex');
    assert.equal((GetSecret!.requestDeserialize(request) as { ID: string }).ID, 'tok');
    assert.equal(hex(GetSecret!.responseSerialize({ data: Buffer.from('s3') })), '0a027333');
  });

  it('reads CredentialsRequest{Host} and writes CredentialsResponse{Username, Secret}', () => {
    const { Credentials } = authService();
    assert.equal((Credentials!.requestDeserialize(Buffer.from('0a0e3132372e302e302e313a35303030', 'hex')) as { Host: string }).Host, '127.0.0.1:5000');
    assert.equal(hex(Credentials!.responseSerialize({ Username: 'u', Secret: 'p' })), '0a0175120170');
    assert.equal(hex(Credentials!.responseSerialize({})), '', 'no login: an empty answer');
  });

  it('answers the health check SERVING', () => {
    assert.equal(hex(healthService().Check!.responseSerialize({ status: 1 })), '0801');
  });

  it('announces exactly the methods it serves', () => {
    assert.deepEqual(servedMethods(), ['/moby.buildkit.secrets.v1.Secrets/GetSecret', '/moby.filesync.v1.Auth/Credentials', '/grpc.health.v1.Health/Check']);
  });
});
