# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ocx_global_optspecs
    string join \n plain-http insecure timeout= color= no-cache cache-size= v/verbose h/help V/version
end

function __fish_ocx_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ocx_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ocx_using_subcommand
    set -l cmd (__fish_ocx_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ocx -n "__fish_ocx_needs_command" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_needs_command" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_needs_command" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_needs_command" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_needs_command" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_needs_command" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_needs_command" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_needs_command" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "describe" -d 'Describe an image, index or artifact: every platform, config, layer and build fact'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "sbom" -d 'List the packages of every SBOM attached to an image or index, by every convention'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "diff" -d 'Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "index" -d 'Build an image index over manifests and push it, or change an index'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "tags" -d 'List the tags of a repository (every page of the registry\'s tag list) or of an OCI layout'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "generate" -d 'Write shell completions, man pages and the example layout (for packagers and this repository)'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "schema" -d 'Print the JSON Schema of an output'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l platform -d 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2)' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l concurrency -d 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l max-sbom-size -d 'Refuse SBOM blobs larger than this many bytes' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l json -d 'Print the output schema as one JSON document'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l raw -d 'Print the manifest bytes exactly as stored'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l no-sbom -d 'Skip SBOM discovery: describe only the structure (`sbom` is then null)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l strict -d 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l document -d 'With --raw: the document to print, by its digest (or its manifest\'s) or its number in the list an ambiguous --raw prints' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l platform -d 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2)' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l concurrency -d 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l max-sbom-size -d 'Refuse SBOM blobs larger than this many bytes' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l json -d 'Print the packages as one JSON document'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l raw -d 'Print the manifest\'s SBOM document exactly as stored (with several, choose one with --document)'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l unwrap -d 'With --raw: the SPDX, CycloneDX or syft document itself, taken out of its sigstore bundle, DSSE envelope and in-toto statement'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l strict -d 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l platform -d 'Compare only the platforms matching this one: OS/ARCH[/VARIANT][:OS_VERSION], or a key describe shows (linux/amd64#2); repeatable (default: every platform)' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l ignore -d 'Leave out differences at this address, or under it; `*` matches any run of characters; repeatable (e.g. \'platforms[*].config.labels["build-id"]\'). With --files, a pattern starting with `/` is a path glob (\'/var/log/**\'): the paths it matches, and what is below them, are left out' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l context -d 'Lines of context around each change with --unified' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l concurrency -d 'How many requests may be in flight at once, for the walk and again for SBOM discovery (1-256)' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l max-sbom-size -d 'Refuse SBOM blobs larger than this many bytes' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l json -d 'Print the change set as one JSON document (schema: `ocx schema diff`)'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -s q -l quiet -d 'Print nothing: only the exit status says whether the two differ'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l no-sbom -d 'Skip SBOM discovery: compare only the structure, no packages'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l ignore-timestamps -d 'Leave out the created annotation and label, config `created`, history timestamps and build `created`'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l unified -d 'Print a unified diff of the manifest and config JSON of each platform instead'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l show-unchanged -d 'Also list what is equal: map entries, layers and packages (marked `=`)'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l files -d 'Also compare the files: each platform\'s final filesystem (layers applied in order, whiteouts included), path by path; layers are streamed, never stored, and layers both sides share are read only when needed'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l content -d 'With --files: a unified diff of each changed text file up to 64 KiB'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l strict -d 'Fail (exit 2, nothing printed) when any part could not be read, instead of printing the rest with a warning for each'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand diff" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -f -a "create" -d 'Build an image index whose entries carry each child\'s artifactType and platform, and push it'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -f -a "update" -d 'Add entries to an existing index or remove them, with the rules of `index create`'
complete -c ocx -n "__fish_ocx_using_subcommand index; and not __fish_seen_subcommand_from create update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l artifact-type -d 'The index\'s artifactType: an RFC 6838 media type without parameters' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l annotation -d 'Set an annotation of the index; repeatable (the last value of a key wins)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l child-platform -d 'Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l subject -d 'Set the index\'s subject: a manifest named like a SOURCE' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l tag -d 'Also point this tag at the index; repeatable' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l output -d 'Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -' -r -F
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l concurrency -d 'How many requests may be in flight at once (1-256)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l copy-annotations -d 'Copy each child manifest\'s annotations into its entry'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l dry-run -d 'Resolve, verify and build everything, but copy and push nothing'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l json -d 'Print the index\'s descriptor as JSON instead of REF@DIGEST'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l add -d 'Append a manifest, named as a SOURCE of `index create`; repeatable' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l remove -d 'Drop the entry with this digest, or the one whose platform key (as `ocx describe` shows it, e.g. linux/amd64) this is; repeatable' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l artifact-type -d 'The index\'s artifactType: an RFC 6838 media type without parameters' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l annotation -d 'Set an annotation of the index; repeatable (the last value of a key wins)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l child-platform -d 'Give the entry for SOURCE (written as among the sources) this platform, whatever its config records; repeatable' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l subject -d 'Set the index\'s subject: a manifest named like a SOURCE' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l tag -d 'Also point this tag at the index; repeatable' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l output -d 'Write the index JSON (exactly the bytes pushed) to FILE, or to stdout with -' -r -F
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l concurrency -d 'How many requests may be in flight at once (1-256)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l copy-annotations -d 'Copy each child manifest\'s annotations into its entry'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l dry-run -d 'Resolve, verify and build everything, but copy and push nothing'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l json -d 'Print the index\'s descriptor as JSON instead of REF@DIGEST'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from update" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from help" -f -a "create" -d 'Build an image index whose entries carry each child\'s artifactType and platform, and push it'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from help" -f -a "update" -d 'Add entries to an existing index or remove them, with the rules of `index create`'
complete -c ocx -n "__fish_ocx_using_subcommand index; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l json -d 'Print the tags as one JSON document (schema: `ocx schema tags`)'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand tags" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l samples -d 'Write only the example samples, into this layout (oci:DIR) or registry repository' -r
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l timeout -d 'Seconds a registry may go silent before a request fails (1-3600); a request\'s total deadline is this plus 1 s per MiB it carries' -r
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l cache-size -d 'How large the cache may grow before the least recently used entries are removed: bytes, or with a K, M or G suffix (powers of 1024)' -r
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l color -d 'When to use colour and box drawing in human output and messages (`always` wins over NO_COLOR)' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l plain-http -d 'Use plain HTTP for every registry (loopback registries are otherwise tried over HTTPS first, then plain HTTP)'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l no-cache -d 'Neither read nor write the cache of manifests, configs and SBOMs fetched by digest ($XDG_CACHE_HOME/ocx, else ~/.cache/ocx)'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -s v -l verbose -d 'Trace every registry request on stderr: method, URL, status, bytes, time and retries (never a credential, token or signature)'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "describe" -d 'Describe an image, index or artifact: every platform, config, layer and build fact'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "sbom" -d 'List the packages of every SBOM attached to an image or index, by every convention'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "diff" -d 'Compare two images or indexes like a plan: platforms, config, layers, annotations, build facts and SBOM packages'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "index" -d 'Build an image index over manifests and push it, or change an index'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "tags" -d 'List the tags of a repository (every page of the registry\'s tag list) or of an OCI layout'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "generate" -d 'Write shell completions, man pages and the example layout (for packagers and this repository)'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "schema" -d 'Print the JSON Schema of an output'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom diff index tags generate schema help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocx -n "__fish_ocx_using_subcommand help; and __fish_seen_subcommand_from index" -f -a "create" -d 'Build an image index whose entries carry each child\'s artifactType and platform, and push it'
complete -c ocx -n "__fish_ocx_using_subcommand help; and __fish_seen_subcommand_from index" -f -a "update" -d 'Add entries to an existing index or remove them, with the rules of `index create`'
