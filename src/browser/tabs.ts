import type { TokenManager } from '../token/manager.js'
import type { TokenSet } from '../types.js'
import { isTokenSet } from '../wire/token.js'

type Message = { type: 'tokens'; tokens: TokenSet } | { type: 'logout' }

/** A message from another tab, checked: anything that is not one of ours (or not well-formed) is ignored. */
export function readTabMessage(data: unknown): Message | undefined {
  const message = data as { type?: unknown; tokens?: unknown } | null | undefined
  if (typeof message !== 'object' || message === null) return undefined
  if (message.type === 'logout') return { type: 'logout' }
  if (message.type === 'tokens' && isTokenSet(message.tokens)) return { type: 'tokens', tokens: message.tokens }
  return undefined
}

/**
 * The origin's tabs, over a BroadcastChannel: one tab's new tokens reach the others (adopted
 * without a request or a lock), and a logout anywhere signs out everywhere.
 */
export function connectTabs(key: string, manager: TokenManager, options: { persistAdopted: boolean; onLogout: () => void }) {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(key) : undefined
  let received: TokenSet | undefined
  manager.on('tokens', (tokens) => {
    if (tokens !== received) channel?.postMessage({ type: 'tokens', tokens } satisfies Message)
  })
  if (channel) {
    channel.onmessage = (event: MessageEvent<unknown>) => {
      const message = readTabMessage(event.data)
      if (message?.type === 'tokens') {
        received = message.tokens
        manager.adopt(message.tokens, { persist: options.persistAdopted })
      } else if (message?.type === 'logout') {
        void manager.clear().then(options.onLogout)
      }
    }
  }
  return {
    /** Tells the other tabs this one signed out. */
    logout(): void {
      channel?.postMessage({ type: 'logout' } satisfies Message)
    },
  }
}
