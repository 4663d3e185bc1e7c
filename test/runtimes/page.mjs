// Chromium: the page is served by the loopback server, so the base is its origin.
import { smoke } from './smoke.mjs'

globalThis.smokeResult = smoke(location.origin)
