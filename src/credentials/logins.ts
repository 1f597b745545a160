// Logging in and out of registries: the rules between the HTTP layer and the store. A login is refused for a
// registry this server would not contact (the registry host policy), for a task that does not exist, and for a
// password too short to be masked; no message ever holds the password.
import { RegistryLoginRequest, RegistryLogoutQuery } from '../contract/requests.js';
import type { RegistryInfo } from '../contract/registries.js';
import { BadInputError, NotFoundError } from '../errors.js';
import { secretTooShort } from '../log.js';
import { registryHostProblem, type RegistryHostPolicy } from '../registry/host-policy.js';
import type { RegistryCredentialStore } from './store.js';

export interface LoginRules {
  hostPolicy: RegistryHostPolicy;
  taskExists: (name: string) => Promise<boolean>;
}

export async function loginRegistry(store: RegistryCredentialStore, body: unknown, rules: LoginRules): Promise<RegistryInfo> {
  const login = RegistryLoginRequest.parse(body);
  const refused = registryHostProblem(login.host, rules.hostPolicy);
  if (refused) throw new BadInputError(refused, 'registry_not_allowed');
  const short = secretTooShort(`the password for ${login.host}`, login.password);
  if (short) throw new BadInputError(short, 'password_too_short');
  if (login.task !== undefined && !(await rules.taskExists(login.task))) throw new NotFoundError(`no task ${login.task}`, 'task_not_found');
  return store.save({ host: login.host, username: login.username, password: login.password, ...(login.task ? { task: login.task } : {}) });
}

export async function logoutRegistry(store: RegistryCredentialStore, host: string, query: unknown): Promise<void> {
  const { task } = RegistryLogoutQuery.parse(query);
  if (!(await store.remove(host, task))) {
    throw new NotFoundError(`no login for ${JSON.stringify(host.slice(0, 255))}${task ? ` in task ${task}` : ''}`, 'registry_login_not_found');
  }
}
