// The gzip member header that marks a build context as stored deflate blocks only: written by the CLI
// (src/cli/gzip-stored.ts) for a server on the same machine, read without zlib by src/contexts/stored-gunzip.ts.

/**
 * ID1 ID2, CM = deflate, FLG = FEXTRA, no mtime, XFL 0, OS = unknown, then an extra field of one subfield
 * 'SW' (Slipway) whose data is "stored". Readers that do not know the subfield skip it, as RFC 1952
 * §2.3.1.1 says (zlib, Go's gzip, pigz), so the stream is plain gzip to them.
 */
export const STORED_GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 10, 0, 0x53, 0x57, 6, 0, ...Buffer.from('stored')]);
