
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'ocx' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'ocx'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'ocx' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Describe an image, index or artifact: every platform, config, layer and build fact')
            [CompletionResult]::new('sbom', 'sbom', [CompletionResultType]::ParameterValue, 'List the packages of every SBOM attached to an image or index, by every convention')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages')
            [CompletionResult]::new('index', 'index', [CompletionResultType]::ParameterValue, 'Build an image index over manifests and push it, or change an index')
            [CompletionResult]::new('tags', 'tags', [CompletionResultType]::ParameterValue, 'List the tags of a repository (every page of the registry''s tag list) or of an OCI layout')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions, man pages and the example layout (for packagers and this repository)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of an output')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocx;describe' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)')
            [CompletionResult]::new('--max-sbom-size', '--max-sbom-size', [CompletionResultType]::ParameterName, 'Refuse SBOM blobs larger than this many bytes')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the output schema as one JSON document')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the manifest bytes exactly as stored')
            [CompletionResult]::new('--no-sbom', '--no-sbom', [CompletionResultType]::ParameterName, 'Skip SBOM discovery: describe only the structure (`sbom` is then null)')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;sbom' {
            [CompletionResult]::new('--document', '--document', [CompletionResultType]::ParameterName, 'With --raw: the document to print, by its digest (or its manifest''s) or its number in the list an ambiguous --raw prints')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)')
            [CompletionResult]::new('--max-sbom-size', '--max-sbom-size', [CompletionResultType]::ParameterName, 'Refuse SBOM blobs larger than this many bytes')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the packages as one JSON document')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the manifest''s SBOM document exactly as stored (with several, choose one with --document)')
            [CompletionResult]::new('--unwrap', '--unwrap', [CompletionResultType]::ParameterName, 'With --raw: the SPDX, CycloneDX or syft document itself, taken out of its sigstore bundle, DSSE envelope and in-toto statement')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;diff' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Compare only the platforms matching this one: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2); repeatable (default: every platform)')
            [CompletionResult]::new('--ignore', '--ignore', [CompletionResultType]::ParameterName, 'Leave out differences at this address, or under it; `*` matches any run of characters; repeatable (e.g. ''platforms[*].config.labels["build-id"]''). With --files, a pattern starting with `/` is a path glob (''/var/log/**''): the paths it matches, and what is below them, are left out')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Lines of context around each change with --unified')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)')
            [CompletionResult]::new('--max-sbom-size', '--max-sbom-size', [CompletionResultType]::ParameterName, 'Refuse SBOM blobs larger than this many bytes')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the change set as one JSON document (schema: `ocx schema diff`)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing: only the exit status says whether the two differ')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing: only the exit status says whether the two differ')
            [CompletionResult]::new('--no-sbom', '--no-sbom', [CompletionResultType]::ParameterName, 'Skip SBOM discovery: compare only the structure, no packages')
            [CompletionResult]::new('--ignore-timestamps', '--ignore-timestamps', [CompletionResultType]::ParameterName, 'Leave out the created annotation and label, config `created`, history timestamps and build `created`')
            [CompletionResult]::new('--unified', '--unified', [CompletionResultType]::ParameterName, 'Print a unified diff of the manifest and config JSON of each platform instead')
            [CompletionResult]::new('--show-unchanged', '--show-unchanged', [CompletionResultType]::ParameterName, 'Also list what is equal: map entries, layers and packages (marked `=`)')
            [CompletionResult]::new('--files', '--files', [CompletionResultType]::ParameterName, 'Also compare the files: each platform''s final filesystem (layers applied in order, whiteouts included), path by path; layers are streamed, never stored, and layers both sides share are read only when needed')
            [CompletionResult]::new('--content', '--content', [CompletionResultType]::ParameterName, 'With --files: a unified diff of each changed text file up to 64 KiB')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;index' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Build an image index whose entries carry each child''s artifactType and platform, and push it')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Add entries to an existing index or remove them, with the rules of `index create`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocx;index;create' {
            [CompletionResult]::new('--artifact-type', '--artifact-type', [CompletionResultType]::ParameterName, 'The index''s artifactType: an RFC 6838 media type without parameters')
            [CompletionResult]::new('--annotation', '--annotation', [CompletionResultType]::ParameterName, 'Set an annotation of the index; repeatable (the last value of a key wins)')
            [CompletionResult]::new('--child-platform', '--child-platform', [CompletionResultType]::ParameterName, 'Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Set the index''s subject: a manifest named like a SOURCE')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Also point this tag at the index; repeatable')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once (1-256)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--copy-annotations', '--copy-annotations', [CompletionResultType]::ParameterName, 'Copy each child manifest''s annotations into its entry')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Resolve, verify and build everything, but copy and push nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the index''s descriptor as JSON instead of REF@DIGEST')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;index;update' {
            [CompletionResult]::new('--add', '--add', [CompletionResultType]::ParameterName, 'Append a manifest, named as a SOURCE of `index create`; repeatable')
            [CompletionResult]::new('--remove', '--remove', [CompletionResultType]::ParameterName, 'Drop the entry with this digest, or the one whose platform key (as `ocx describe` shows it, e.g. linux/amd64) this is; repeatable')
            [CompletionResult]::new('--artifact-type', '--artifact-type', [CompletionResultType]::ParameterName, 'The index''s artifactType: an RFC 6838 media type without parameters')
            [CompletionResult]::new('--annotation', '--annotation', [CompletionResultType]::ParameterName, 'Set an annotation of the index; repeatable (the last value of a key wins)')
            [CompletionResult]::new('--child-platform', '--child-platform', [CompletionResultType]::ParameterName, 'Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable')
            [CompletionResult]::new('--subject', '--subject', [CompletionResultType]::ParameterName, 'Set the index''s subject: a manifest named like a SOURCE')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Also point this tag at the index; repeatable')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once (1-256)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--copy-annotations', '--copy-annotations', [CompletionResultType]::ParameterName, 'Copy each child manifest''s annotations into its entry')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Resolve, verify and build everything, but copy and push nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the index''s descriptor as JSON instead of REF@DIGEST')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;index;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Build an image index whose entries carry each child''s artifactType and platform, and push it')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Add entries to an existing index or remove them, with the rules of `index create`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocx;index;help;create' {
            break
        }
        'ocx;index;help;update' {
            break
        }
        'ocx;index;help;help' {
            break
        }
        'ocx;tags' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the tags as one JSON document (schema: `ocx schema tags`)')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;generate' {
            [CompletionResult]::new('--samples', '--samples', [CompletionResultType]::ParameterName, 'Write only the example samples, into this layout (oci:DIR) or registry repository')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;schema' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries')
            [CompletionResult]::new('--cache-size', '--cache-size', [CompletionResultType]::ParameterName, 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;help' {
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Describe an image, index or artifact: every platform, config, layer and build fact')
            [CompletionResult]::new('sbom', 'sbom', [CompletionResultType]::ParameterValue, 'List the packages of every SBOM attached to an image or index, by every convention')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages')
            [CompletionResult]::new('index', 'index', [CompletionResultType]::ParameterValue, 'Build an image index over manifests and push it, or change an index')
            [CompletionResult]::new('tags', 'tags', [CompletionResultType]::ParameterValue, 'List the tags of a repository (every page of the registry''s tag list) or of an OCI layout')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions, man pages and the example layout (for packagers and this repository)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of an output')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocx;help;describe' {
            break
        }
        'ocx;help;sbom' {
            break
        }
        'ocx;help;diff' {
            break
        }
        'ocx;help;index' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Build an image index whose entries carry each child''s artifactType and platform, and push it')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Add entries to an existing index or remove them, with the rules of `index create`')
            break
        }
        'ocx;help;index;create' {
            break
        }
        'ocx;help;index;update' {
            break
        }
        'ocx;help;tags' {
            break
        }
        'ocx;help;generate' {
            break
        }
        'ocx;help;schema' {
            break
        }
        'ocx;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
