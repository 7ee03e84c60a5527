
use builtin;
use str;

set edit:completion:arg-completer[ocx] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ocx'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ocx'= {
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand describe 'Describe an image, index or artifact: every platform, config, layer and build fact'
            cand sbom 'List the packages of every SBOM attached to an image or index, by every convention'
            cand diff 'Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages'
            cand index 'Build an image index over manifests and push it, or change an index'
            cand tags 'List the tags of a repository (every page of the registry''s tag list) or of an OCI layout'
            cand generate 'Write shell completions, man pages and the example layout (for packagers and this repository)'
            cand schema 'Print the JSON Schema of an output'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocx;describe'= {
            cand --platform 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2)'
            cand --concurrency 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)'
            cand --max-sbom-size 'Refuse SBOM blobs larger than this many bytes'
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --json 'Print the output schema as one JSON document'
            cand --raw 'Print the manifest bytes exactly as stored'
            cand --no-sbom 'Skip SBOM discovery: describe only the structure (`sbom` is then null)'
            cand --strict 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;sbom'= {
            cand --document 'With --raw: the document to print, by its digest (or its manifest''s) or its number in the list an ambiguous --raw prints'
            cand --platform 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2)'
            cand --concurrency 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)'
            cand --max-sbom-size 'Refuse SBOM blobs larger than this many bytes'
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --json 'Print the packages as one JSON document'
            cand --raw 'Print the manifest''s SBOM document exactly as stored (with several, choose one with --document)'
            cand --unwrap 'With --raw: the SPDX, CycloneDX or syft document itself, taken out of its sigstore bundle, DSSE envelope and in-toto statement'
            cand --strict 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;diff'= {
            cand --platform 'Compare only the platforms matching this one: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2); repeatable (default: every platform)'
            cand --ignore 'Leave out differences at this address, or under it; `*` matches any run of characters; repeatable (e.g. ''platforms[*].config.labels["build-id"]''). With --files, a pattern starting with `/` is a path glob (''/var/log/**''): the paths it matches, and what is below them, are left out'
            cand --context 'Lines of context around each change with --unified'
            cand --concurrency 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)'
            cand --max-sbom-size 'Refuse SBOM blobs larger than this many bytes'
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --json 'Print the change set as one JSON document (schema: `ocx schema diff`)'
            cand -q 'Print nothing: only the exit status says whether the two differ'
            cand --quiet 'Print nothing: only the exit status says whether the two differ'
            cand --no-sbom 'Skip SBOM discovery: compare only the structure, no packages'
            cand --ignore-timestamps 'Leave out the created annotation and label, config `created`, history timestamps and build `created`'
            cand --unified 'Print a unified diff of the manifest and config JSON of each platform instead'
            cand --show-unchanged 'Also list what is equal: map entries, layers and packages (marked `=`)'
            cand --files 'Also compare the files: each platform''s final filesystem (layers applied in order, whiteouts included), path by path; layers are streamed, never stored, and layers both sides share are read only when needed'
            cand --content 'With --files: a unified diff of each changed text file up to 64 KiB'
            cand --strict 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;index'= {
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Build an image index whose entries carry each child''s artifactType and platform, and push it'
            cand update 'Add entries to an existing index or remove them, with the rules of `index create`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocx;index;create'= {
            cand --artifact-type 'The index''s artifactType: an RFC 6838 media type without parameters'
            cand --annotation 'Set an annotation of the index; repeatable (the last value of a key wins)'
            cand --child-platform 'Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable'
            cand --subject 'Set the index''s subject: a manifest named like a SOURCE'
            cand --tag 'Also point this tag at the index; repeatable'
            cand --output 'Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -'
            cand --concurrency 'How many requests may be in flight at once (1-256)'
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --copy-annotations 'Copy each child manifest''s annotations into its entry'
            cand --dry-run 'Resolve, verify and build everything, but copy and push nothing'
            cand --json 'Print the index''s descriptor as JSON instead of REF@DIGEST'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;index;update'= {
            cand --add 'Append a manifest, named as a SOURCE of `index create`; repeatable'
            cand --remove 'Drop the entry with this digest, or the one whose platform key (as `ocx describe` shows it, e.g. linux/amd64) this is; repeatable'
            cand --artifact-type 'The index''s artifactType: an RFC 6838 media type without parameters'
            cand --annotation 'Set an annotation of the index; repeatable (the last value of a key wins)'
            cand --child-platform 'Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable'
            cand --subject 'Set the index''s subject: a manifest named like a SOURCE'
            cand --tag 'Also point this tag at the index; repeatable'
            cand --output 'Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -'
            cand --concurrency 'How many requests may be in flight at once (1-256)'
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --copy-annotations 'Copy each child manifest''s annotations into its entry'
            cand --dry-run 'Resolve, verify and build everything, but copy and push nothing'
            cand --json 'Print the index''s descriptor as JSON instead of REF@DIGEST'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;index;help'= {
            cand create 'Build an image index whose entries carry each child''s artifactType and platform, and push it'
            cand update 'Add entries to an existing index or remove them, with the rules of `index create`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocx;index;help;create'= {
        }
        &'ocx;index;help;update'= {
        }
        &'ocx;index;help;help'= {
        }
        &'ocx;tags'= {
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --json 'Print the tags as one JSON document (schema: `ocx schema tags`)'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;generate'= {
            cand --samples 'Write only the example samples, into this layout (oci:DIR) or registry repository'
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;schema'= {
            cand --timeout 'Seconds a registry may go silent before a request fails (1-3600); a request''s total deadline is this plus 1 s per MiB it carries'
            cand --cache-size 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)'
            cand --color 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)'
            cand --plain-http 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
            cand --insecure 'Accept any TLS certificate from registries'
            cand --no-cache 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
            cand -v 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand --verbose 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'ocx;help'= {
            cand describe 'Describe an image, index or artifact: every platform, config, layer and build fact'
            cand sbom 'List the packages of every SBOM attached to an image or index, by every convention'
            cand diff 'Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages'
            cand index 'Build an image index over manifests and push it, or change an index'
            cand tags 'List the tags of a repository (every page of the registry''s tag list) or of an OCI layout'
            cand generate 'Write shell completions, man pages and the example layout (for packagers and this repository)'
            cand schema 'Print the JSON Schema of an output'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ocx;help;describe'= {
        }
        &'ocx;help;sbom'= {
        }
        &'ocx;help;diff'= {
        }
        &'ocx;help;index'= {
            cand create 'Build an image index whose entries carry each child''s artifactType and platform, and push it'
            cand update 'Add entries to an existing index or remove them, with the rules of `index create`'
        }
        &'ocx;help;index;create'= {
        }
        &'ocx;help;index;update'= {
        }
        &'ocx;help;tags'= {
        }
        &'ocx;help;generate'= {
        }
        &'ocx;help;schema'= {
        }
        &'ocx;help;help'= {
        }
    ]
    $completions[$command]
}
