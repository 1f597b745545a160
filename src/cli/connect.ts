// Which Slipway API a command talks to: --server, else the configured default (SLIPWAY_SERVER).
import { loadCliConfig } from '../config.js';
import { SlipwayApi } from './api-client.js';
import { parseServerUrl } from './flags.js';

export function apiFor(serverFlag: string | undefined): SlipwayApi {
  if (serverFlag !== undefined) return new SlipwayApi(parseServerUrl(serverFlag, '--server'));
  return new SlipwayApi(parseServerUrl(loadCliConfig().server, 'SLIPWAY_SERVER'));
}
