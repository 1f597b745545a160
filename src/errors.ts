// The small, explicit set of errors Slipway raises. Each carries a snake_case code and the HTTP status
// it maps to. Errors crossing a process boundary lose their prototype, so check `name` too (isSlipwayError).

export class SlipwayError extends Error {
  override name = 'SlipwayError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** 400: the input is malformed or refers to something it may not. */
export class BadInputError extends SlipwayError {
  override name = 'BadInputError';
  constructor(message: string, code = 'bad_input') {
    super(400, code, message);
  }
}

export class NotFoundError extends SlipwayError {
  override name = 'NotFoundError';
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends SlipwayError {
  override name = 'ConflictError';
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export class TooLargeError extends SlipwayError {
  override name = 'TooLargeError';
  constructor(message: string, code = 'too_large') {
    super(413, code, message);
  }
}

/** 503: a dependency (Redis, Docker, the registry) is down; worth retrying later. */
export class UnavailableError extends SlipwayError {
  override name = 'UnavailableError';
  constructor(message: string, code = 'unavailable') {
    super(503, code, message);
  }
}

export function isSlipwayError(err: unknown): err is SlipwayError {
  return err instanceof SlipwayError || (err instanceof Error && 'status' in err && 'code' in err && typeof (err as SlipwayError).status === 'number');
}
