/** This package's version (kept equal to package.json by a test; a constant so that browsers need no JSON import). */
export const CONNECTOR_VERSION = "0.2.0";
