// The errors of authentication and authorisation, with their HTTP statuses.
import { SlipwayError } from '../errors.js';

/** 401: no token, or one that is unknown, revoked or expired. */
export class UnauthenticatedError extends SlipwayError {
  override name = 'UnauthenticatedError';
  constructor(message: string) {
    super(401, 'unauthenticated', message);
  }
}

/** 403: a valid token that may not do this. */
export class ForbiddenError extends SlipwayError {
  override name = 'ForbiddenError';
  constructor(message: string, code = 'forbidden') {
    super(403, code, message);
  }
}
