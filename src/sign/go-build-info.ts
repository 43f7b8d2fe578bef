/**
 * Reads the build information the Go linker embeds in every binary (the data `go version -m`
 * prints: Go version, main package, main module, dependency modules with their go.sum hashes, build
 * settings) straight from the ELF file, so no Go toolchain is needed to make or check an SBOM.
 * Binaries from Go 1.18 on keep it inline in the `.go.buildinfo` section; older ones (pointers into
 * the data segment) are reported as Go binaries without module data.
 */
import { readElfHeader } from '../oci/elf.js';

/** One module as `go version -m` lists it (`mod` / `dep` lines), with its `=>` replacement. */
export interface GoModule {
  path: string;
  /** `(devel)` for a main module built from a working tree. */
  version: string;
  /** The go.sum hash (`h1:...`); absent for the main module and for replaced modules without one. */
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  /** `go1.26.8` */
  goVersion: string;
  /** The main package's import path (`path` line); absent in binaries older than Go 1.18. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines in order: `-ldflags`, `GOARCH`, `vcs.revision`, ... */
  settings: Array<[key: string, value: string]>;
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
/** The header before the inline strings: magic (14), pointer size (1), flags (1), two pointers' room. Inline strings are varint-prefixed, whatever the byte order. */
const HEADER_SIZE = 32;
const FLAG_INLINE_STRINGS = 0x2;
/** runtime/debug wraps the module text in 16 bytes of sentinel on each side. */
const SENTINEL_SIZE = 16;

/**
 * The build information of a Go ELF binary (its whole content), or undefined when `binary` is not
 * an ELF file built by Go.
 */
export function readGoBuildInfo(binary: Buffer): GoBuildInfo | undefined {
  const header = readElfHeader(binary);
  if (header === undefined) return undefined;
  const start = buildInfoOffset(binary, header.class, header.endianness);
  if (start === undefined || start + HEADER_SIZE > binary.length) return undefined;
  const flags = binary[start + 15]!;
  if ((flags & FLAG_INLINE_STRINGS) === 0) return { goVersion: 'unknown (Go before 1.18)', deps: [], settings: [] };
  const version = readVarintString(binary, start + HEADER_SIZE);
  if (version === undefined) return undefined;
  const modinfo = readVarintString(binary, version.end);
  if (modinfo === undefined) return undefined;
  return parseModuleInfo(version.text, stripSentinels(modinfo.text));
}

/**
 * Parses the module text (`path\t...`, `mod\t...`, `dep\t...`, `=>\t...`, `build\tk=v` lines) as
 * runtime/debug.ParseBuildInfo does. Exported for tests of the format itself.
 */
export function parseModuleInfo(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const [kind, ...fields] = line.split('\t');
    switch (kind) {
      case 'path':
        info.path = fields[0] ?? '';
        break;
      case 'mod':
        last = info.main = moduleOf(fields);
        break;
      case 'dep':
        last = moduleOf(fields);
        info.deps.push(last);
        break;
      case '=>':
        if (last !== undefined) last.replace = moduleOf(fields);
        break;
      case 'build': {
        const setting = fields.join('\t');
        const equals = setting.indexOf('=');
        if (equals > 0) info.settings.push([unquote(setting.slice(0, equals)), unquote(setting.slice(equals + 1))]);
        break;
      }
      default:
        break;
    }
  }
  return info;
}

function moduleOf(fields: string[]): GoModule {
  const module: GoModule = { path: fields[0] ?? '', version: fields[1] ?? '' };
  if (fields[2] !== undefined && fields[2] !== '') module.sum = fields[2];
  return module;
}

/** Build setting keys and values containing spaces, quotes or `=` are Go-quoted. */
function unquote(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"') || text.length < 2) return text;
  try {
    return JSON.parse(text) as string;
  } catch {
    return text;
  }
}

function stripSentinels(text: string): string {
  if (text.length >= 2 * SENTINEL_SIZE + 1 && text[text.length - SENTINEL_SIZE - 1] === '\n') {
    return text.slice(SENTINEL_SIZE, text.length - SENTINEL_SIZE);
  }
  return text;
}

function readVarintString(buf: Buffer, offset: number): { text: string; end: number } | undefined {
  let length = 0;
  let shift = 0;
  let at = offset;
  for (;;) {
    if (at >= buf.length || shift > 35) return undefined;
    const byte = buf[at++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  if (at + length > buf.length) return undefined;
  return { text: buf.toString('utf8', at, at + length), end: at + length };
}

/** File offset of the build info: the `.go.buildinfo` section when there is one, else the magic at a 16-byte boundary. */
function buildInfoOffset(buf: Buffer, elfClass: 32 | 64, endianness: 'little' | 'big'): number | undefined {
  const section = sectionOffset(buf, '.go.buildinfo', elfClass, endianness);
  if (section !== undefined && buf.subarray(section, section + MAGIC.length).equals(MAGIC)) return section;
  for (let at = buf.indexOf(MAGIC); at >= 0; at = buf.indexOf(MAGIC, at + 1)) if (at % 16 === 0) return at;
  return undefined;
}

function sectionOffset(buf: Buffer, name: string, elfClass: 32 | 64, endianness: 'little' | 'big'): number | undefined {
  const le = endianness === 'little';
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number) => (elfClass === 64 ? Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : u32(o));
  try {
    const shoff = word(elfClass === 64 ? 0x28 : 0x20);
    const shentsize = u16(elfClass === 64 ? 0x3a : 0x2e);
    const shnum = u16(elfClass === 64 ? 0x3c : 0x30);
    const shstrndx = u16(elfClass === 64 ? 0x3e : 0x32);
    if (shoff === 0 || shnum === 0 || shstrndx >= shnum) return undefined;
    const offsetField = elfClass === 64 ? 0x18 : 0x10;
    const names = word(shoff + shstrndx * shentsize + offsetField);
    for (let i = 0; i < shnum; i++) {
      const entry = shoff + i * shentsize;
      const nameAt = names + u32(entry);
      const end = buf.indexOf(0, nameAt);
      if (end > nameAt && buf.toString('latin1', nameAt, end) === name) return word(entry + offsetField);
    }
  } catch {
    return undefined; // a truncated or odd header: fall back to searching
  }
  return undefined;
}
