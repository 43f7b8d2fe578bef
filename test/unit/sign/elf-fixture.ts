/**
 * Synthetic Go binaries for the unit tests: a minimal ELF64 file (header, one `.go.buildinfo`
 * section, a section-name table, section headers) holding build information in the inline format
 * Go 1.18+ writes. Made here, byte by byte, so no binary is committed and no Go toolchain runs.
 */

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const SENTINEL_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const SENTINEL_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

function varintString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const prefix: number[] = [];
  let length = bytes.length;
  do {
    let byte = length & 0x7f;
    length = Math.floor(length / 128);
    if (length > 0) byte |= 0x80;
    prefix.push(byte);
  } while (length > 0);
  return Buffer.concat([Buffer.from(prefix), bytes]);
}

/** The `.go.buildinfo` section's content for a Go version and module text. */
export function buildInfoSection(goVersion: string, modinfo: string): Buffer {
  const header = Buffer.alloc(32);
  MAGIC.copy(header, 0);
  header[14] = 8; // pointer size
  header[15] = 0x2; // inline strings
  return Buffer.concat([header, varintString(goVersion), varintString(Buffer.concat([SENTINEL_START, Buffer.from(modinfo), SENTINEL_END]).toString('latin1'))]);
}

/**
 * An x86-64 ELF64 little-endian executable. `withSections: false` leaves the section headers out,
 * so a reader must find the build information by its magic at a 16-byte boundary.
 */
export function syntheticGoElf(goVersion: string, modinfo: string, options: { withSections?: boolean; machine?: number } = {}): Buffer {
  const info = buildInfoSection(goVersion, modinfo);
  const names = Buffer.from('\0.go.buildinfo\0.shstrtab\0', 'latin1');
  const infoOffset = 0x100; // 16-byte aligned, after the header and some padding
  const namesOffset = infoOffset + info.length;
  const shoff = Math.ceil((namesOffset + names.length) / 8) * 8;
  const withSections = options.withSections ?? true;
  const file = Buffer.alloc(shoff + (withSections ? 3 * 64 : 0));
  file.write('\x7fELF', 0, 'latin1');
  file[4] = 2; // ELF64
  file[5] = 1; // little-endian
  file[6] = 1; // version
  file.writeUInt16LE(2, 16); // ET_EXEC
  file.writeUInt16LE(options.machine ?? 62, 18); // x86-64
  file.writeUInt32LE(1, 20);
  file.writeUInt16LE(64, 0x34); // e_ehsize
  info.copy(file, infoOffset);
  names.copy(file, namesOffset);
  if (withSections) {
    file.writeBigUInt64LE(BigInt(shoff), 0x28);
    file.writeUInt16LE(64, 0x3a);
    file.writeUInt16LE(3, 0x3c);
    file.writeUInt16LE(2, 0x3e);
    const section = (index: number, name: number, offset: number, size: number) => {
      const at = shoff + index * 64;
      file.writeUInt32LE(name, at);
      file.writeUInt32LE(index === 2 ? 3 : 1, at + 4);
      file.writeBigUInt64LE(BigInt(offset), at + 0x18);
      file.writeBigUInt64LE(BigInt(size), at + 0x20);
    };
    section(0, 0, 0, 0);
    section(1, 1, infoOffset, info.length);
    section(2, 15, namesOffset, names.length);
  }
  return file;
}

/** Module text as `go version -m` shows it (tab-separated), for a main module with two dependencies, one replaced. */
export const SAMPLE_MODINFO = [
  'path\texample.com/mesh/cmd/pilot-discovery',
  'mod\texample.com/mesh\t(devel)\t',
  'dep\tgolang.org/x/text\tv0.21.0\th1:4UGsJwd8QFkKN5r0kROADxUP8jdWKeDnCYo+/zvhkQg=',
  'dep\tgithub.com/old/lib\tv1.0.0\th1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  '=>\tgithub.com/new/lib\tv1.2.0\th1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=',
  'build\t-buildmode=exe',
  'build\t-ldflags="-X main.version=1.0.0"',
  'build\tCGO_ENABLED=0',
  'build\tGOARCH=amd64',
  '',
].join('\n');
