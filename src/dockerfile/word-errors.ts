// The error word expansion raises; callers add the Dockerfile line and turn it into a DockerfileError.
export class ExpansionError extends Error {
  override name = 'ExpansionError';
}
