import type { TokenManager } from '../token/manager.js'
import type { TokenSet } from '../types.js'

type Message = { type: 'tokens'; tokens: TokenSet } | { type: 'logout' }

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
    channel.onmessage = (event: MessageEvent<Message>) => {
      const message = event.data
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
