/**
 * The order a review walks a revision's files, and the file it opens first: pure, and shared so that
 * main can send the first file with the proposal (`proposal:show` with `withFirstFile`) and the console
 * opens exactly that file.
 */

/** Compares two paths in file-tree order: directory by directory, a directory before the files next to it. */
export function comparePaths(a: string, b: string): number {
  const aParts = a.split('/');
  const bParts = b.split('/');
  const shared = Math.min(aParts.length, bParts.length);
  for (let index = 0; index < shared; index += 1) {
    const aPart = aParts[index] ?? '';
    const bPart = bParts[index] ?? '';
    if (aPart === bPart) continue;
    // A directory sorts before the files next to it, as in every file tree.
    const aIsDir = index < aParts.length - 1;
    const bIsDir = index < bParts.length - 1;
    if (aIsDir !== bIsDir) return aIsDir ? -1 : 1;
    return aPart < bPart ? -1 : 1;
  }
  return aParts.length - bParts.length;
}

/** Files in tree order: by directory, then name (the order j/k walks). */
export function orderFiles<F extends { readonly path: string }>(files: ReadonlyArray<F>): ReadonlyArray<F> {
  return [...files].sort((a, b) => comparePaths(a.path, b.path));
}

/** The file to open first: the first (in tree order) with a finding the revision introduced, else the first. */
export function firstFileToOpen(
  files: ReadonlyArray<{ readonly path: string }>,
  findings: ReadonlyArray<{ readonly path: string; readonly introduced: boolean }>,
): string | null {
  const ordered = orderFiles(files);
  const introduced = new Set(findings.filter((finding) => finding.introduced).map((finding) => finding.path));
  return (ordered.find((file) => introduced.has(file.path)) ?? ordered[0])?.path ?? null;
}
