// The device flow's verification URL as a QR code in the terminal: scanned with a phone, the
// user lands on the page with the code filled in. uqr is bundled into the CLI only.
import { renderUnicodeCompact } from 'uqr'

export function qrCode(url: string): string {
  return `${renderUnicodeCompact(url, { border: 1 })}\n`
}
