/**
 * Bytes of a file to text, strictly: UTF-8, or UTF-8/UTF-16 with a BOM, as
 * PyYAML's reader accepts. Invalid bytes are refused (EDECODE, naming the
 * offset), never replaced by U+FFFD: a read-modify-write would otherwise
 * write the replacement characters back and destroy the original bytes.
 * @internal
 */
import { decodeError } from '../errors';
import { YamlDecodeError, decodeText } from '../yaml';

export function decodeFileText(filePath: string, bytes: Uint8Array): string {
  try {
    return decodeText(bytes);
  } catch (err) {
    if (err instanceof YamlDecodeError) throw decodeError(filePath, err);
    throw err;
  }
}
