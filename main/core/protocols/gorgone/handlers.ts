/** AgentApi handlers of the gorgone contract (main/core/contract/gorgone.ts). */
import type { AgentHandlers } from '../../contract/index.ts';
import type { AgentContext } from '../../context.ts';
import type { GorgoneListenResult, GorgoneSettingsView } from '../../contract/gorgone.ts';
import { AgentError } from '../../contract/errors.ts';
import { jwkThumbprint, parsePublicKey } from '../../identity/keys.ts';
import { assertKeyStrength, authorizedClientsLine } from './codec.ts';
import { pingGorgone } from './controller.ts';
import { fetchServerKey, pairGorgone } from './pairing.ts';
import { readGorgoneSettings, updateGorgoneSettings, type GorgoneSettings } from './config.ts';
import { registerSnippet } from './listener.ts';
import { readPemFile } from '../../identity/pem-file.ts';

type GorgoneHandlers = Pick<
  AgentHandlers,
  | 'getGorgoneThumbprint'
  | 'getGorgoneServerKey'
  | 'pairGorgone'
  | 'pingGorgone'
  | 'listenGorgone'
  | 'listGorgoneAuthorized'
  | 'addGorgoneAuthorized'
  | 'removeGorgoneAuthorized'
  | 'getGorgoneSettings'
  | 'updateGorgoneSettings'
>;

function thumbprintOfPem(pem: string, field: string): string {
  let key;
  try {
    key = parsePublicKey(pem);
  } catch (error) {
    throw new AgentError('invalid-request', `${field}: ${(error as Error).message}`, { field });
  }
  assertKeyStrength(key, `the key in ${field}`);
  return jwkThumbprint(key);
}

function bindParts(bind: string): { address: string; port: number } {
  const i = bind.lastIndexOf(':');
  const host = bind.slice(0, i).replace(/^\[|\]$/g, '');
  return {
    address: host === '*' ? '<this machine address>' : host,
    port: Number(bind.slice(i + 1)),
  };
}

async function listenView(
  ctx: AgentContext,
  settings: GorgoneSettings,
): Promise<GorgoneListenResult> {
  const { thumbprint } = await ctx.identity.agentKey();
  const { address, port } = bindParts(settings.listener.bind);
  return {
    enabled: settings.listener.enabled,
    bind: settings.listener.bind,
    rotationSeconds: settings.listener.rotationSeconds,
    thumbprint,
    authorizedClients: settings.authorizedClients,
    registerSnippet: registerSnippet(settings.listener.nodeId, address, port),
  };
}

function addAuthorized(
  draft: GorgoneSettings,
  thumbprint: string,
  comment: string | undefined,
): void {
  const existing = draft.authorizedClients.find((c) => c.thumbprint === thumbprint);
  if (existing !== undefined) {
    if (comment !== undefined) existing.comment = comment;
    return;
  }
  draft.authorizedClients.push(comment === undefined ? { thumbprint } : { thumbprint, comment });
}

export function createGorgoneHandlers(ctx: AgentContext): GorgoneHandlers {
  return {
    async getGorgoneThumbprint() {
      const key = await ctx.identity.agentKey();
      return {
        thumbprint: key.thumbprint,
        bits: key.bits,
        publicKeyPath: key.publicKeyPath,
        authorizedClientsLine: authorizedClientsLine(key.thumbprint),
      };
    },
    getGorgoneServerKey: (request) => fetchServerKey(ctx, request),
    pairGorgone: (request) => pairGorgone(ctx, request),
    pingGorgone: ({ name }) => pingGorgone(ctx, name),
    async listenGorgone(request) {
      const fromKeys = await Promise.all(
        request.authorizeKeyFiles.map(async (file, i) =>
          thumbprintOfPem(
            await readPemFile(file, `authorizeKeyFiles.${i}`),
            `authorizeKeyFiles.${i}`,
          ),
        ),
      );
      const settings = updateGorgoneSettings(ctx.settings, (draft) => {
        draft.listener.enabled = request.enabled;
        if (request.bind !== undefined) draft.listener.bind = request.bind;
        if (request.nodeId !== undefined) draft.listener.nodeId = request.nodeId;
        if (request.rotationSeconds !== undefined)
          draft.listener.rotationSeconds = request.rotationSeconds;
        for (const t of [...request.authorize, ...fromKeys]) addAuthorized(draft, t, undefined);
      });
      if (settings.listener.enabled && settings.authorizedClients.length === 0) {
        ctx.log.warn(
          'gorgone listener enabled with no authorized central: every client will be refused',
        );
      }
      return listenView(ctx, settings);
    },
    listGorgoneAuthorized: async () => listenView(ctx, readGorgoneSettings(ctx.settings)),
    async addGorgoneAuthorized(request) {
      const thumbprint =
        request.thumbprint ??
        thumbprintOfPem(
          await readPemFile(request.publicKeyFile!, 'publicKeyFile'),
          'publicKeyFile',
        );
      updateGorgoneSettings(ctx.settings, (draft) =>
        addAuthorized(draft, thumbprint, request.comment),
      );
      return { thumbprint, comment: request.comment };
    },
    async removeGorgoneAuthorized({ thumbprint }) {
      const current = readGorgoneSettings(ctx.settings).authorizedClients.find(
        (c) => c.thumbprint === thumbprint,
      );
      if (current === undefined) {
        throw new AgentError('not-found', `${thumbprint} is not in the authorized list`, {
          field: 'thumbprint',
        });
      }
      updateGorgoneSettings(ctx.settings, (draft) => {
        draft.authorizedClients = draft.authorizedClients.filter(
          (c) => c.thumbprint !== thumbprint,
        );
      });
      return current;
    },
    getGorgoneSettings: async (): Promise<GorgoneSettingsView> => readGorgoneSettings(ctx.settings),
    async updateGorgoneSettings(request) {
      return updateGorgoneSettings(ctx.settings, (draft) => {
        if (request.listener !== undefined) Object.assign(draft.listener, request.listener);
        if (request.command !== undefined) Object.assign(draft.command, request.command);
        if (request.processcopy !== undefined)
          Object.assign(draft.processcopy, request.processcopy);
      });
    },
  };
}
