/**
 * The core's validators count interface-name bytes with Node's Buffer.byteLength; in the webview
 * esbuild injects this instead (UTF-8 bytes through TextEncoder), so the same code runs unchanged.
 */
const encoder = new TextEncoder();

export const Buffer = {
  byteLength: (text: string): number => encoder.encode(text).length,
};
