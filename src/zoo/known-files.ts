/**
 * Published ONNX files whose preprocessing we know although they carry no sparsecnn metadata
 * (sha256 from ../shared/data/README.md). A file loaded by path gets its zoo entry's
 * preprocessing and labels; anything else needs metadata or explicit --mean/--std.
 */
export const KNOWN_FILES: ReadonlyMap<string, string> = new Map([
  ['2fd7a9b7cf1624d1233dde135e80a44c9d4ebab4e714fb4963209bd5403fd70a', 'resnet20'],
  ['748152772e131e90250a01ae490c25d4007c8272c67c023b12f9701fbdcffd0d', 'resnet56'],
  ['84ef74bd433ef54a189cd80d99c116f43c1eb1c3637636fb4638e8b38428c8f3', 'mobilenetv2-cifar'],
]);
