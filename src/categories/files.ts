/** Files an edit leaves next to the site file: backups and restore scripts, named by UTC time. */

/** 20261126T153000Z */
export function utcStamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** `base`, or base-1, base-2 … if taken; `write` must create the file exclusively (flag 'wx'). */
export function writeExclusive(base: string, suffix: string, write: (path: string) => void): string {
  for (let i = 0; ; i++) {
    const path = `${base}${i === 0 ? '' : `-${i}`}${suffix}`;
    try {
      write(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i > 100) throw e;
    }
  }
}
