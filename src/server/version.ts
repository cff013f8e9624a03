/** papo's version, sent in the json `hello` (`papo/VERSION`). Kept equal to package.json's. */
export const VERSION = "0.1.0";
