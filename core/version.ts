/** The kfm tooling version recorded in every receipt's `tooling[]`. Kept equal to package.json "version" (a test checks). */
export const KFM_VERSION = '0.1.0';
