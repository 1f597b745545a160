// Every operation the API serves, with the contract's schemas it validates and answers with: the table the
// OpenAPI document (openapi.ts) is made from. A route added to the app and not here fails test/unit/openapi.
import * as z from '../zod-mini.js';
import { StoredContext } from '../contract/contexts.js';
import { ErrorBody } from '../contract/errors.js';
import { Graph, GraphNode, NotifyAnswer, Plan, PlanEntry, Wave, WaveDetail, WaveEntry, WaveList } from '../contract/graph.js';
import { Health, Ready } from '../contract/health.js';
import { IDEMPOTENCY_KEY_DOC, IDEMPOTENCY_KEY_HEADER } from '../contract/idempotency.js';
import { DependentsQuery, LogQuery, NotifyRequest, RebuildListQuery, RunListQuery, RunRequest, TaskCreate, TaskPatch, TokenCreate, TokenUpdate } from '../contract/requests.js';
import { RegistryLoginRequest, RegistryLogoutQuery } from '../contract/requests.js';
import { RegistryInfo, RegistryList } from '../contract/registries.js';
import { BaseImageUse, BuildSpec, GitSource, OutputImage, PlatformResult, RebuildCause, Run, RunList, StepResult, Trigger } from '../contract/runs.js';
import { Task, TaskList } from '../contract/tasks.js';
import { TokenCreated, TokenInfo, TokenList, WhoAmI, type Role } from '../contract/tokens.js';
import { DeliveryAnswer, RegistryNotificationAnswer } from '../contract/webhooks.js';
import { WorkerInfo, WorkerList } from '../contract/workers.js';
import { DeliveryListQuery, HookCreate, HookCreated, HookDelivery, HookDeliveryList, HookInfo, HookList } from '../contract/hooks.js';
import { GenericGitPush } from '../triggers/generic-git.js';
import { QuarantineApproval, QuarantineDecision, QuarantinedImage, QuarantineList, QuarantineListQuery } from '../contract/quarantine.js';

type Schema = z.core.$ZodType;

/** A body: a contract schema (JSON), or a JSON Schema as is for other systems' formats and raw bytes. */
export type Content = { schema: Schema } | { contentType: string; jsonSchema: Record<string, unknown> };

export interface Answer {
  description: string;
  content?: Content[];
  headers?: Record<string, string>;
}

/**
 * Who may call an operation: a token of at least this role (reader < builder < admin; scanner reads and gives
 * quarantine verdicts, see auth/roles.ts), anyone (`public`), or
 * a sender with the webhook's own secret (`webhook`). The API's authentication reads it from here, and only here.
 */
export type Access = Role | 'public' | 'webhook';

export interface Operation {
  id: string;
  method: 'get' | 'post' | 'patch' | 'delete' | 'head';
  /** OpenAPI's form: /v1/runs/{id}. */
  path: string;
  summary: string;
  access: Access;
  query?: Schema;
  headers?: { name: string; description: string; required?: boolean }[];
  body?: Content;
  /** The webhook's own bearer token (other forges, the registry); API tokens are declared by `access`. */
  bearer?: boolean;
  responses: Record<number, Answer>;
}

/** Answers with a name in the document: each is a component, referred to wherever it is used. */
export const ANSWER_SCHEMAS: Record<string, Schema> = {
  ErrorBody,
  Health,
  Ready,
  StoredContext,
  Run,
  RunList,
  BuildSpec,
  GitSource,
  Trigger,
  RebuildCause,
  OutputImage,
  PlatformResult,
  StepResult,
  BaseImageUse,
  Task,
  TaskList,
  Graph,
  GraphNode,
  Plan,
  PlanEntry,
  NotifyAnswer,
  Wave,
  WaveList,
  WaveDetail,
  WaveEntry,
  DeliveryAnswer,
  RegistryNotificationAnswer,
  TokenInfo,
  TokenCreated,
  TokenList,
  RegistryInfo,
  RegistryList,
  WorkerInfo,
  WorkerList,
  WhoAmI,
  QuarantinedImage,
  QuarantineList,
  QuarantineApproval,
  HookInfo,
  HookCreated,
  HookList,
  HookDelivery,
  HookDeliveryList,
};

/** Request bodies with a name in the document (in their input form: defaults may be left out). */
export const REQUEST_SCHEMAS: Record<string, Schema> = {
  RunRequest,
  TaskCreate,
  TaskPatch,
  NotifyRequest,
  GitPushNotification: GenericGitPush,
  TokenCreate,
  TokenUpdate,
  RegistryLoginRequest,
  QuarantineDecision,
  HookCreate,
};

const json = (schema: Schema): Content[] => [{ schema }];
const error = (description: string): Answer => ({ description, content: json(ErrorBody) });
const created = (what: string) => ({ Location: `the ${what}'s URL` });
const anyJson = { type: 'object', description: 'the sender\'s own payload format' };

export const OPERATIONS: Operation[] = [
  { id: 'health', method: 'get', path: '/v1/health', summary: 'the API answers and reaches Redis', access: 'public', responses: { 200: { description: 'up', content: json(Health) } } },
  {
    id: 'ready',
    method: 'get',
    path: '/v1/ready',
    summary: 'Redis answers and a live worker serves every platform the server promises',
    // It names the platforms the deployment promises and which are unserved: that is for its users, so it
    // takes a reader's token like the rest of /v1 (a probe sends one); liveness (health) stays public.
    access: 'reader',
    responses: { 200: { description: 'ready', content: json(Ready) }, 503: { description: 'not ready, with what is missing', content: json(Ready) } },
  },
  {
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics: runs by status, trigger and platform, run and queue-wait histograms, queue depth and workers per platform, requests',
    // Counts only (no run ids, images or names in labels): a scraper needs no token.
    access: 'public',
    responses: { 200: { description: 'the Prometheus text format', content: [{ contentType: 'text/plain', jsonSchema: { type: 'string' } }] } },
  },
  {
    id: 'dashboard',
    method: 'get',
    path: '/',
    // The page and its assets (/assets/…) hold no data: it signs in with a token and reads the /v1 API.
    summary: 'the web dashboard', access: 'public',
    responses: { 200: { description: 'the page', content: [{ contentType: 'text/html', jsonSchema: { type: 'string' } }] }, 503: error('the dashboard is not built (npm run build)') },
  },
  {
    id: 'openapi',
    method: 'get',
    path: '/v1/openapi.json',
    summary: 'this document', access: 'reader',
    responses: { 200: { description: 'the OpenAPI 3.1 document of the API', content: [{ contentType: 'application/json', jsonSchema: { type: 'object' } }] } },
  },

  {
    id: 'uploadContext',
    method: 'post',
    path: '/v1/contexts',
    summary: 'upload a build context: a gzipped tar', access: 'builder',
    headers: [{ name: 'X-Slipway-Digest', description: 'the sha256:<hex> digest of the body, checked as it arrives' }],
    body: { contentType: 'application/gzip', jsonSchema: { type: 'string', contentMediaType: 'application/gzip' } },
    responses: {
      201: { description: 'stored', content: json(StoredContext), headers: created('context') },
      200: { description: 'already stored', content: json(StoredContext), headers: created('context') },
      400: error('not a gzipped tar, an unsafe entry, or not the digest given'),
      413: error('past the size limit'),
    },
  },
  {
    id: 'hasContext',
    method: 'head',
    path: '/v1/contexts/{digest}',
    summary: 'whether a context is stored (and keeps it from the sweep)', access: 'builder',
    responses: { 200: { description: 'stored' }, 404: { description: 'not stored' } },
  },

  {
    id: 'submitRun',
    method: 'post',
    path: '/v1/runs',
    summary: 'build a stored context: a Dockerfile, or a task file with its values',
    access: 'builder',
    headers: [{ name: IDEMPOTENCY_KEY_HEADER, description: IDEMPOTENCY_KEY_DOC }],
    body: { schema: RunRequest },
    responses: {
      202: { description: 'queued', content: json(Run), headers: created('run') },
      200: { description: `the run an earlier request with the same ${IDEMPOTENCY_KEY_HEADER} and body created`, content: json(Run), headers: created('run') },
      400: error('bad input, an unknown context, or a task file that does not load (file:line:col)'),
      409: error(`the ${IDEMPOTENCY_KEY_HEADER} was used with another body, or its first request is still under way`),
      415: error('the body is not JSON'),
    },
  },
  { id: 'listRuns', method: 'get', path: '/v1/runs', summary: 'runs, newest first', access: 'reader', query: RunListQuery, responses: { 200: { description: 'runs', content: json(RunList) } } },
  { id: 'getRun', method: 'get', path: '/v1/runs/{id}', summary: 'a run', access: 'reader', responses: { 200: { description: 'the run', content: json(Run) }, 404: error('no such run') } },
  {
    id: 'cancelRun',
    method: 'post',
    path: '/v1/runs/{id}/cancel',
    summary: 'cancel a queued or running run', access: 'builder',
    responses: { 202: { description: 'the run, canceled or asked to stop', content: json(Run) }, 404: error('no such run') },
  },
  {
    id: 'runLog',
    method: 'get',
    path: '/v1/runs/{id}/logs',
    summary: "a run's log", access: 'reader',
    query: LogQuery,
    headers: [{ name: 'Last-Event-ID', description: 'with follow: the id of the last event seen, to resume after it' }],
    responses: {
      200: {
        description:
          'the log as text; with follow=1 a stream of Server-Sent Events: `log` (one line, the entry id as the event id), then one `end` whose data is the final run (Run) as JSON',
        content: [
          { contentType: 'text/plain', jsonSchema: { type: 'string' } },
          { contentType: 'text/event-stream', jsonSchema: { type: 'string' } },
        ],
      },
      400: error('Last-Event-ID is not an event id of this log'),
      404: error('no such run'),
    },
  },

  {
    id: 'createTask',
    method: 'post',
    path: '/v1/tasks',
    summary: 'define a task: a stored build of a git repository, with its triggers', access: 'admin',
    body: { schema: TaskCreate },
    responses: { 201: { description: 'defined', content: json(Task), headers: created('task') }, 400: error('bad input'), 409: error('a task of that name exists') },
  },
  { id: 'listTasks', method: 'get', path: '/v1/tasks', summary: 'every task', access: 'reader', responses: { 200: { description: 'tasks', content: json(TaskList) } } },
  { id: 'getTask', method: 'get', path: '/v1/tasks/{name}', summary: 'a task', access: 'reader', responses: { 200: { description: 'the task', content: json(Task) }, 404: error('no such task') } },
  {
    id: 'updateTask',
    method: 'patch',
    path: '/v1/tasks/{name}',
    summary: 'change the fields given; a list given replaces the stored one', access: 'admin',
    body: { schema: TaskPatch },
    responses: { 200: { description: 'the task as changed', content: json(Task) }, 400: error('bad input'), 404: error('no such task') },
  },
  { id: 'deleteTask', method: 'delete', path: '/v1/tasks/{name}', summary: 'delete a task', access: 'admin', responses: { 204: { description: 'deleted' }, 404: error('no such task') } },
  {
    id: 'runTask',
    method: 'post',
    path: '/v1/tasks/{name}/runs',
    summary: "run a task by hand at its ref's current commit", access: 'builder',
    responses: { 202: { description: 'queued', content: json(Run), headers: created('run') }, 404: error('no such task') },
  },
  {
    id: 'listTaskRuns',
    method: 'get',
    path: '/v1/tasks/{name}/runs',
    summary: "a task's runs, newest first", access: 'reader',
    query: RunListQuery,
    responses: { 200: { description: 'runs', content: json(RunList) }, 404: error('no such task') },
  },

  {
    id: 'githubWebhook',
    method: 'post',
    path: '/v1/webhooks/github',
    summary: 'GitHub push, pull_request and ping deliveries', access: 'webhook',
    headers: [
      { name: 'X-GitHub-Event', description: 'the event', required: true },
      { name: 'X-GitHub-Delivery', description: 'the delivery id; a redelivery starts nothing', required: true },
      { name: 'X-Hub-Signature-256', description: 'sha256=<HMAC-SHA256 of the body with a configured secret>', required: true },
    ],
    body: { contentType: 'application/json', jsonSchema: anyJson },
    responses: {
      200: { description: 'handled', content: json(DeliveryAnswer) },
      202: { description: 'still being handled', content: json(DeliveryAnswer) },
      401: error('no signature, or one that matches no secret'),
      503: error('GitHub webhooks are not configured'),
    },
  },
  {
    id: 'gitWebhook',
    method: 'post',
    path: '/v1/webhooks/git',
    summary: "another forge's push", access: 'webhook',
    bearer: true,
    body: { schema: GenericGitPush },
    responses: {
      200: { description: 'handled', content: json(DeliveryAnswer) },
      202: { description: 'still being handled', content: json(DeliveryAnswer) },
      401: error('no token, or an unknown one'),
      503: error('the generic git webhook is not configured'),
    },
  },
  {
    id: 'registryWebhook',
    method: 'post',
    path: '/v1/webhooks/registry',
    summary: 'CNCF distribution registry notifications: a tag push is a base-image change', access: 'webhook',
    bearer: true,
    body: { contentType: 'application/vnd.docker.distribution.events.v1+json', jsonSchema: anyJson },
    responses: { 202: { description: 'accepted', content: json(RegistryNotificationAnswer) }, 401: error('no token, or an unknown one') },
  },

  { id: 'getGraph', method: 'get', path: '/v1/graph', summary: 'the base-image graph', access: 'reader', responses: { 200: { description: 'the graph', content: json(Graph) } } },
  {
    id: 'dependents',
    method: 'get',
    path: '/v1/graph/dependents',
    summary: 'the impact preview: what a change of the image would rebuild, in order', access: 'reader',
    query: DependentsQuery,
    responses: { 200: { description: 'the plan', content: json(Plan) }, 400: error('not an image reference with a tag') },
  },
  {
    id: 'notifyChange',
    method: 'post',
    path: '/v1/graph/notify',
    summary: "read the image's tag from its registry and treat it as changed", access: 'admin',
    body: { schema: NotifyRequest },
    responses: { 202: { description: 'what the change started', content: json(NotifyAnswer) }, 400: error('bad input') },
  },
  { id: 'listRebuilds', method: 'get', path: '/v1/rebuilds', summary: 'rebuild waves, newest first', access: 'reader', query: RebuildListQuery, responses: { 200: { description: 'waves', content: json(WaveList) } } },
  {
    id: 'getRebuild',
    method: 'get',
    path: '/v1/rebuilds/{id}',
    summary: 'a rebuild wave, with the state and run of each task', access: 'reader',
    responses: { 200: { description: 'the wave', content: json(WaveDetail) }, 404: error('no such wave') },
  },

  {
    id: 'listWorkers',
    method: 'get',
    path: '/v1/workers',
    summary: 'the worker pool: each worker with its platforms, last heartbeat and the runs it is building',
    access: 'reader',
    responses: { 200: { description: 'workers', content: json(WorkerList) } },
  },
  { id: 'whoami', method: 'get', path: '/v1/whoami', summary: 'the token this request carries: its name, role and scopes', access: 'reader', responses: { 200: { description: 'the token', content: json(WhoAmI) } } },

  {
    id: 'createToken',
    method: 'post',
    path: '/v1/tokens',
    summary: 'create an API token; the answer is the only place its secret appears',
    access: 'admin',
    body: { schema: TokenCreate },
    responses: { 201: { description: 'created', content: json(TokenCreated) }, 400: error('bad input'), 409: error('a token of that name exists') },
  },
  { id: 'listTokens', method: 'get', path: '/v1/tokens', summary: 'every token: names, roles, scopes, never secrets', access: 'admin', responses: { 200: { description: 'tokens', content: json(TokenList) } } },
  {
    id: 'updateToken',
    method: 'patch',
    path: '/v1/tokens/{name}',
    summary: "change a token's role, scopes or expiry: applied from its next request on; its secret stays",
    access: 'admin',
    body: { schema: TokenUpdate },
    responses: { 200: { description: 'the token as it now is', content: json(TokenInfo) }, 400: error('bad input'), 404: error('no such token') },
  },
  { id: 'revokeToken', method: 'delete', path: '/v1/tokens/{name}', summary: 'revoke a token: refused from the next request on', access: 'admin', responses: { 204: { description: 'revoked' }, 404: error('no such token') } },

  // Registry logins are admin only, listing included: a registry user name is half a credential (often a
  // service principal's id, as on ACR), and only the admin who manages them needs to see them.
  {
    id: 'loginRegistry',
    method: 'post',
    path: '/v1/registries',
    summary: 'store a login for a registry, for every run or for one task\'s runs; the password is sealed and never shown again',
    access: 'admin',
    body: { schema: RegistryLoginRequest },
    responses: { 201: { description: 'stored (a login for the same registry and task is replaced)', content: json(RegistryInfo) }, 400: error('bad input, or a registry this server does not contact'), 404: error('no such task'), 415: error('the body is not JSON') },
  },
  { id: 'listRegistries', method: 'get', path: '/v1/registries', summary: 'every registry login: host, user, task and when, never a password', access: 'admin', responses: { 200: { description: 'logins', content: json(RegistryList) } } },
  {
    id: 'logoutRegistry',
    method: 'delete',
    path: '/v1/registries/{host}',
    summary: "delete the server's login for a registry, or a task's with ?task=",
    access: 'admin',
    query: RegistryLogoutQuery,
    responses: { 204: { description: 'deleted' }, 400: error('bad input'), 404: error('no such login') },
  },

  {
    id: 'listQuarantine',
    method: 'get',
    path: '/v1/quarantine',
    summary: 'images pushed by digest by quarantined runs, newest first, with their verdicts',
    access: 'reader',
    query: QuarantineListQuery,
    responses: { 200: { description: 'images', content: json(QuarantineList) } },
  },
  {
    id: 'getQuarantined',
    method: 'get',
    path: '/v1/quarantine/{digest}',
    summary: 'a quarantined image', access: 'reader',
    responses: { 200: { description: 'the image', content: json(QuarantinedImage) }, 400: error('not a digest'), 404: error('no such quarantined image') },
  },
  {
    id: 'approveQuarantined',
    method: 'post',
    path: '/v1/quarantine/{digest}/approve',
    summary: "approve an image: each of its tags moves to the digest, and what builds on them rebuilds", access: 'scanner',
    body: { schema: QuarantineDecision },
    responses: {
      200: { description: 'approved: the image, and the rebuild waves the move started', content: json(QuarantineApproval) },
      400: error('not a digest, or a bad body'),
      404: error('no such quarantined image'),
      409: error('the image already has a verdict'),
    },
  },
  {
    id: 'rejectQuarantined',
    method: 'post',
    path: '/v1/quarantine/{digest}/reject',
    summary: 'reject an image: no tag moves; the reason is written to its run', access: 'scanner',
    body: { schema: QuarantineDecision },
    responses: {
      200: { description: 'rejected', content: json(QuarantinedImage) },
      400: error('not a digest, or a bad body'),
      404: error('no such quarantined image'),
      409: error('the image already has a verdict'),
    },
  },

  {
    id: 'createHook',
    method: 'post',
    path: '/v1/hooks',
    summary: 'send run notifications to a URL: signed POSTs (X-Hub-Signature-256) for the events asked for; the answer is the only place the secret appears',
    access: 'admin',
    body: { schema: HookCreate },
    responses: {
      201: { description: 'created', content: json(HookCreated), headers: created('hook') },
      400: error('bad input, or a URL the host policy refuses'),
      409: error('a hook of that name exists'),
    },
  },
  { id: 'listHooks', method: 'get', path: '/v1/hooks', summary: 'every hook: names, URLs, events, never secrets', access: 'reader', responses: { 200: { description: 'hooks', content: json(HookList) } } },
  { id: 'deleteHook', method: 'delete', path: '/v1/hooks/{name}', summary: 'delete a hook; its queued retries are dropped', access: 'admin', responses: { 204: { description: 'deleted' }, 404: error('no such hook') } },
  {
    id: 'listHookDeliveries',
    method: 'get',
    path: '/v1/hooks/{name}/deliveries',
    summary: "a hook's deliveries, newest first, with every attempt's status",
    access: 'reader',
    query: DeliveryListQuery,
    responses: { 200: { description: 'deliveries', content: json(HookDeliveryList) }, 404: error('no such hook') },
  },
  {
    id: 'redeliverHookDelivery',
    method: 'post',
    path: '/v1/hooks/{name}/deliveries/{id}/redeliver',
    summary: 'send a delivery again: the same body, signature and delivery id, with fresh retries',
    access: 'admin',
    responses: { 202: { description: 'queued again', content: json(HookDelivery) }, 404: error('no such hook or delivery'), 409: error('the delivery is still being tried') },
  },
];
