// A run's log over HTTP: GET /v1/runs/:id/logs answers the whole log as text, or with ?follow=1 a stream of
// Server-Sent Events: `log` events (one line each, the entry's stream id as the event id, for Last-Event-ID)
// and one `end` event whose data is the final run as JSON (runs.ts: Run).
export const LOG_EVENT = 'log';
export const END_EVENT = 'end';

/** A log entry's id, as Last-Event-ID (or ?lastEventId=) sends it back to resume after it. */
export const EVENT_ID = /^\d{1,20}-\d{1,20}$/;
