// The faultline VS Code extension: starts `faultline server` for Go files and forwards
// the `faultline.*` settings. Everything else (diagnostics, quick fixes, hover) is the
// language server's.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

/** The settings the server reads (see docs/editors.md). */
interface FaultlineOptions {
  select: string[];
  ignore: string[];
  goVersion: string;
  debounceMs: number;
}

function options(): FaultlineOptions {
  const c = vscode.workspace.getConfiguration("faultline");
  return {
    select: c.get<string[]>("select", []),
    ignore: c.get<string[]>("ignore", []),
    goVersion: c.get<string>("goVersion", ""),
    debounceMs: c.get<number>("debounceMs", 5),
  };
}

function createClient(): LanguageClient {
  const command = vscode.workspace.getConfiguration("faultline").get<string>("path") || "faultline";
  const serverOptions: ServerOptions = {
    command,
    args: ["server"],
    transport: TransportKind.stdio,
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "go" }],
    initializationOptions: options(),
    // Sends workspace/didChangeConfiguration when a faultline.* setting changes.
    synchronize: { configurationSection: "faultline" },
  };
  return new LanguageClient("faultline", "faultline", serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  client = createClient();
  context.subscriptions.push(
    vscode.commands.registerCommand("faultline.restart", async () => {
      if (client) {
        await client.stop();
      }
      client = createClient();
      await client.start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // A new executable needs a new process; other settings are sent to the server.
      if (e.affectsConfiguration("faultline.path")) {
        await vscode.commands.executeCommand("faultline.restart");
      }
    }),
  );
  await client.start();
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
}
