/// The pages served when no `pages_dir` is configured. `config/pages/*.html` ship the same
/// text (a test checks they render identically), so they are a starting point for operators
/// who want their own look.
extension ErrorPageTemplate {
    public static func builtIn(for kind: ErrorKind) -> ErrorPageTemplate {
        do {
            return try ErrorPageTemplate(text: builtInText(templateName: kind.templateName))
        } catch {
            preconditionFailure("built-in error page does not parse: \(error)")
        }
    }

    /// The text of `config/pages/<templateName>.html`.
    public static func builtInText(templateName: String) -> String {
        let (headExtra, hint): (String, String) = switch templateName {
        case "not_found": ("", "Check the address for typos.")
        case "provisioning": ("<meta http-equiv=\"refresh\" content=\"{{retry_after}}\">\n",
                              "This page reloads by itself.")
        case "inactive": ("", "Please check back later.")
        case "closed": ("", "Thank you for shopping here.")
        default: ("", "")
        }
        let hintLine = hint.isEmpty ? "" : "  <p class=\"hint\">\(hint)</p>\n"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex">
            \(headExtra)<title>{{title}}</title>
            <style>
            :root{color-scheme:light dark;--fg:#1f2937;--muted:#6b7280;--bg:#f4f5f7;--card:#fff;--accent:#4f46e5}
            @media (prefers-color-scheme:dark){:root{--fg:#e5e7eb;--muted:#9ca3af;--bg:#0f1115;--card:#181b22;--accent:#818cf8}}
            *{box-sizing:border-box}
            body{margin:0;min-height:100vh;display:grid;place-items:center;padding:24px;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
            main{width:100%;max-width:28rem;padding:40px 32px;border-radius:16px;background:var(--card);text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.08),0 12px 32px rgba(0,0,0,.06)}
            .status{margin:0;font-size:3.5rem;font-weight:700;letter-spacing:-.02em;color:var(--accent)}
            h1{margin:.25rem 0 .5rem;font-size:1.35rem}
            p{margin:0;color:var(--muted)}
            .hint{margin-top:.75rem;font-size:.9rem}
            .code{margin-top:28px;font:12px/1 ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.04em}
            </style>
            </head>
            <body>
            <main>
              <p class="status">{{status}}</p>
              <h1>{{title}}</h1>
              <p>{{message}}</p>
            \(hintLine)  <p class="code">{{code}}</p>
            </main>
            </body>
            </html>

            """
    }
}
