// Which Slipway API a command talks to, and with which token. The server: --server, else SLIPWAY_SERVER, else
// the one `slipway login` saved, else the default. The token: SLIPWAY_TOKEN, else the saved one, but only
// for the server it was saved for (a token is never sent to another server because --server named it).
import { loadCliConfig } from '../config.js';
import { SlipwayApi } from './api-client.js';
import { readCredentials } from './credentials.js';
import { parseServerUrl } from './flags.js';
import { useProxySettings } from './http.js';

export function apiFor(serverFlag: string | undefined): SlipwayApi {
  const config = loadCliConfig();
  const saved = readCredentials(config.cli.configFile);
  const server =
    serverFlag !== undefined
      ? parseServerUrl(serverFlag, '--server')
      : !config.cli.serverFromEnv && saved
        ? parseServerUrl(saved.server, config.cli.configFile)
        : parseServerUrl(config.server, 'SLIPWAY_SERVER');
  const token = config.cli.token ?? (saved && saved.server === server ? saved.token : undefined);
  useProxySettings(config.cli.proxy);
  return new SlipwayApi(server, undefined, token);
}
