/** Where an addon of a rotortree package lives (see paths.mjs). */
export declare function prebuildDir(packageDir: string, platform?: string, arch?: string): string;
export declare function addonFileName(name: string, abi?: string | number): string;
export declare function localBuildPath(packageDir: string, name: string): string;
export declare function isMusl(): boolean;
export declare function addonCandidates(packageDir: string, name: string, abi?: string | number): string[];
