/** The build tool of rotortree's native addons (see build.mjs). */
export interface AddonSpec {
  readonly name: string;
  readonly sources?: readonly string[];
  readonly shared?: readonly ('crc32c' | 'napi_args')[];
  readonly cflags?: readonly string[];
  readonly abi?: boolean;
}
export interface CompileResult {
  readonly ok: boolean;
  readonly output: string;
}
export declare function readAddonSpec(packageDir: string): { packageName: string; addons: AddonSpec[] };
export declare function compileAddon(options: { packageDir: string; addon: AddonSpec; arch?: string; out: string; headers?: string }): Promise<CompileResult>;
export declare function install(packageDir: string, env?: Record<string, string | undefined>): Promise<string[]>;
export declare function buildLocal(packageDir: string): Promise<string[]>;
export declare function prebuild(packageDir: string, arches?: readonly string[]): Promise<{ written: string[]; failures: string[] }>;
