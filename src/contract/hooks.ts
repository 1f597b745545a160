// Outbound webhooks (run notifications) over HTTP: a hook as created and shown, and its deliveries. A hook's
// secret is answered once, at creation, and never shown again; deliveries carry no receiver body (a receiver's
// answer is not ours to store or echo), only its status.
import * as z from '../zod-mini.js';

/** The events a hook can ask for; `image.quarantined` is published by the quarantine code, not by a run. */
export const HOOK_EVENTS = ['run.succeeded', 'run.failed', 'run.errored', 'run.canceled', 'run.timeout', 'image.pushed', 'image.quarantined'] as const;
export type HookEventType = (typeof HOOK_EVENTS)[number];

/** A hook's name: what `slipway hook delete` takes. */
export const HOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A task pattern: `*` stands for any run of characters. */
export const HOOK_TASK_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9*._-]{0,127}$/;
const MAX_URL = 2048;
const MIN_SECRET = 16;

/** POST /v1/hooks. Without a secret, the server makes one and answers it once. */
export const HookCreate = z.strictObject({
  name: z.string().check(z.regex(HOOK_NAME, 'a hook name is 1-64 letters, digits and _ . -')),
  url: z.string().check(z.maxLength(MAX_URL)),
  /** None: every run event (run.*). */
  events: z.optional(z.array(z.enum(HOOK_EVENTS)).check(z.minLength(1), z.maxLength(HOOK_EVENTS.length))),
  /** Tasks whose events it gets; none: every event, of a task or not. */
  tasks: z.optional(z.array(z.string().check(z.regex(HOOK_TASK_PATTERN, 'a task pattern is a task name, * for any characters'))).check(z.maxLength(50))),
  secret: z.optional(z.string().check(z.minLength(MIN_SECRET, `a hook secret is at least ${MIN_SECRET} characters`), z.maxLength(256))),
});
export type HookCreate = z.input<typeof HookCreate>;

/** A hook as shown: never its secret. */
export const HookInfo = z.object({
  name: z.string(),
  url: z.string(),
  events: z.array(z.enum(HOOK_EVENTS)),
  tasks: z.array(z.string()),
  createdAt: z.string(),
});
export type HookInfo = z.infer<typeof HookInfo>;

/** The creation answer: the secret, once (the one given, or the one the server made). */
export const HookCreated = z.object({ ...HookInfo.shape, secret: z.string() });
export type HookCreated = z.infer<typeof HookCreated>;

export const HookList = z.object({ hooks: z.array(HookInfo) });
export type HookList = z.infer<typeof HookList>;

/** One try at sending a delivery: the receiver's HTTP status, or why there was none. */
export const DeliveryAttempt = z.object({
  at: z.string(),
  status: z.optional(z.int()),
  error: z.optional(z.string()),
  durationMs: z.number(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;

/** One event sent to one hook: its id is the X-Slipway-Delivery header, kept across redeliveries as GitHub does. */
export const HookDelivery = z.object({
  id: z.string(),
  hook: z.string(),
  event: z.enum(HOOK_EVENTS),
  createdAt: z.string(),
  state: z.enum(DELIVERY_STATES),
  /** Retries waiting after a failed attempt: when the next one goes. */
  nextAttemptAt: z.optional(z.string()),
  redeliveries: z.int(),
  attempts: z.array(DeliveryAttempt),
});
export type HookDelivery = z.infer<typeof HookDelivery>;

export const HookDeliveryList = z.object({ deliveries: z.array(HookDelivery) });
export type HookDeliveryList = z.infer<typeof HookDeliveryList>;

/** GET /v1/hooks/:name/deliveries: the newest first. */
export const DeliveryListQuery = z.strictObject({ top: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(500)), 30) });
