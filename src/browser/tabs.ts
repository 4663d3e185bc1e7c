import { sameUser, type TokenControl, type TokenEvents } from '../token/manager.js'
import type { TokenSet } from '../types.js'
import { isTokenSet } from '../wire/token.js'
import { retrying } from '../internal/retrying.js'
import type { Ledger } from './ledger.js'

/**
 * What the tabs of one client say to each other. A grant is named by the fingerprint of its
 * refresh token (never the token): `tokens` is a new set, `from` the grant it renewed (absent
 * for a new sign-in); `dead`, a grant the server refused; `ask`, a tab that missed a rotation
 * asking whoever holds its grant now.
 */
type Message =
  | { type: 'tokens'; tokens: TokenSet; from?: string }
  | { type: 'logout' }
  | { type: 'dead'; grant: string }
  | { type: 'ask'; grant: string }

/** A message from another tab, checked: anything that is not one of ours (or not well-formed) is ignored. */
export function readTabMessage(data: unknown): Message | undefined {
  const message = data as { type?: unknown; tokens?: unknown; from?: unknown; grant?: unknown } | null | undefined
  if (typeof message !== 'object' || message === null) return undefined
  if (message.type === 'logout') return { type: 'logout' }
  if ((message.type === 'dead' || message.type === 'ask') && typeof message.grant === 'string')
    return { type: message.type, grant: message.grant } as Message
  if (message.type !== 'tokens' || !isTokenSet(message.tokens) || (message.from !== undefined && typeof message.from !== 'string'))
    return undefined
  return message.from === undefined
    ? { type: 'tokens', tokens: message.tokens }
    : { type: 'tokens', tokens: message.tokens, from: message.from }
}

/**
 * A short fingerprint of a refresh token (53 bits of a non-cryptographic hash): enough to tell
 * grants apart between the tabs of one browser, and nothing that could be used as the token.
 */
export function fingerprint(token: string | undefined): string | undefined {
  if (token === undefined) return undefined
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/** The rotation ledger (ledger.ts), loaded on first use; if it cannot be loaded, there is none, as without IndexedDB: nothing is known spent. */
function lazyLedger(name: string): Ledger {
  const load = retrying(() => import('./ledger.js').then((chunk) => chunk.ledger(name)))
  const get = () => load().catch(() => undefined)
  return {
    rotated: async (from, to, now) => (await get())?.rotated(from, to, now),
    successor: async (grant, held) => (await get())?.successor(grant, held) ?? { spent: false, leadsTo: false },
  }
}

/** What connectTabs needs to know of the client. */
export interface TabOptions {
  /** Whether tabs share one sign-in (`local` storage): then a sign-in in one is every tab's. */
  shared: boolean
  /** Save adopted tokens into this tab's own store too (when it is not the shared one). */
  persistAdopted: boolean
  /**
   * Whether tabs may hand each other tokens (`session` and `local` storage, where a tab and its
   * copies or every tab hold them anyway). With `memory` or a store of your own, the channel —
   * which any same-origin frame or worker can read — carries signals only (sign-out, a refused
   * grant), never a token.
   */
  exchange: boolean
  /** Forget this tab's tokens of the grant `grant` (the server refused it, or another tab signed out). */
  forget: (grant: string | undefined) => Promise<void>
  onLogout: () => void
  now: () => number
}

/** What the tabs do with this tab's session: what its coordinator may (read, adopt, forget), and hear of and clear its tokens. */
export interface TabTokens extends TokenControl {
  on(event: 'tokens', listener: TokenEvents['tokens']): () => void
  clear(): Promise<void>
}

/**
 * The origin's tabs, over a BroadcastChannel and the rotation ledger (docs/browser.md):
 * a tab adopts the renewals of the grant it holds and nothing else (a new sign-in too when
 * tabs share one); a refused grant is forgotten by every tab that holds it; a tab that
 * finds its refresh token spent asks for the current tokens instead of sending it.
 */
export function connectTabs(key: string, manager: TabTokens, options: TabOptions) {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(key) : undefined
  const tabs: Tabs = {
    manager,
    options,
    rotations: lazyLedger(`${key}:rotations`),
    post: (message) => channel?.postMessage(message),
    waiting: new Map(),
    announced: undefined,
  }
  const { rotations, post, waiting } = tabs
  /** The grant the next `tokens` event renewed (set by the refresh step, read once). */
  let renewed: string | undefined
  // Adopted tokens come with no `tokens` event: what is announced is this tab's own.
  manager.on('tokens', (tokens) => {
    const from = renewed
    renewed = undefined
    if (options.exchange) post(from === undefined ? { type: 'tokens', tokens } : { type: 'tokens', tokens, from })
  })
  if (channel) channel.onmessage = (event: MessageEvent<unknown>) => void receive(tabs, readTabMessage(event.data))
  // Where a channel can keep a process alive (Node, in tests or server rendering), it does not.
  ;(channel as { unref?: () => void } | undefined)?.unref?.()

  return {
    /** Tells the other tabs this one signed out. */
    logout: () => post({ type: 'logout' }),
    /** Tells the other tabs the server refused this grant. */
    dead: (grant: string) => post({ type: 'dead', grant }),
    /** Records a rotation before its tokens are stored and announced. */
    async rotated(from: string, to: string | undefined): Promise<void> {
      renewed = from
      if (to !== undefined && to !== from) await rotations.rotated(from, to, options.now())
    },
    /** Whether another tab already rotated this grant's refresh token (sending it would be a replay). */
    spent: async (grant: string) => (await rotations.successor(grant)).spent,
    /** The current tokens of a spent grant, from the tab that holds them, or undefined when none answers within `timeout` ms. */
    async ask(grant: string, timeout = 3000): Promise<TokenSet | undefined> {
      renewed = grant
      // Announced by the renewing tab while this one was deciding (or adopted)? Then those.
      if (tabs.announced?.from === grant) return tabs.announced.tokens
      const now = (await manager.peek())?.tokens
      if (now?.refreshToken !== undefined && fingerprint(now.refreshToken) !== grant) return now
      return answerTo(grant, timeout, waiting, () => post({ type: 'ask', grant }))
    },
  }
}

/** What one tab's side of the channel holds. */
interface Tabs {
  manager: TabTokens
  options: TabOptions
  rotations: Ledger
  post: (message: Message) => void
  /** Tabs waiting on a grant's tokens (`ask`), by grant. */
  waiting: Map<string, (tokens: TokenSet) => void>
  /** The last renewal another tab announced: what a tab that finds its grant spent takes first. */
  announced: { from: string; tokens: TokenSet } | undefined
}

/** A message from another tab: a sign-out, a dead grant, a question about a grant, or tokens. */
async function receive(tabs: Tabs, message: Message | undefined): Promise<void> {
  const { manager, options } = tabs
  if (!message) return
  if (message.type === 'logout') return void manager.clear().then(options.onLogout, options.onLogout)
  const mine = (await manager.peek())?.tokens
  const grant = fingerprint(mine?.refreshToken)
  if (message.type === 'dead') {
    if (grant === message.grant) await options.forget(grant)
  } else if (message.type === 'ask') {
    if (options.exchange && mine && grant !== undefined && (await tabs.rotations.successor(message.grant, grant)).leadsTo)
      tabs.post({ type: 'tokens', tokens: mine, from: message.grant })
  } else if (options.exchange) {
    // A tab waiting on this grant gets them, even if it adopted a newer set meanwhile.
    if (message.from !== undefined) {
      tabs.announced = { from: message.from, tokens: message.tokens }
      tabs.waiting.get(message.from)?.(message.tokens)
    }
    if (message.from !== undefined ? message.from === grant : options.shared && (!mine || sameUser(mine, message.tokens)))
      await manager.adopt(message.tokens, { persist: options.persistAdopted })
  }
}

/** Waits up to `timeout` ms for the tokens another tab sends for `grant`, after `ask`ing. */
async function answerTo(
  grant: string,
  timeout: number,
  waiting: Map<string, (tokens: TokenSet) => void>,
  ask: () => void,
): Promise<TokenSet | undefined> {
  const answer = new Promise<TokenSet | undefined>((resolve) => {
    waiting.set(grant, resolve)
    setTimeout(resolve, timeout)
  })
  ask()
  const tokens = await answer
  waiting.delete(grant)
  return tokens
}
