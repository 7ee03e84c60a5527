# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ocx_global_optspecs
    string join \n plain-http insecure color= h/help V/version
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

complete -c ocx -n "__fish_ocx_needs_command" -l color -d 'When to use colour and box drawing in human output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_needs_command" -l plain-http -d 'Use plain HTTP for registries that are not on loopback (loopback always uses it)'
complete -c ocx -n "__fish_ocx_needs_command" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_needs_command" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "describe" -d 'Describe an image, index or artifact: every platform, config, layer and build fact'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "sbom" -d 'List the packages of every SBOM attached to an image or index, by every convention'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "schema" -d 'Print the JSON Schema of an output'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "generate" -d 'Write shell completions and man pages (for packagers and this repository)'
complete -c ocx -n "__fish_ocx_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l platform -d 'Describe only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION]' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l concurrency -d 'How many requests may be in flight at once' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l max-sbom-size -d 'Refuse SBOM blobs larger than this many bytes' -r
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l color -d 'When to use colour and box drawing in human output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l json -d 'Print the output schema as one JSON document'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l raw -d 'Print the manifest bytes exactly as stored'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l no-sbom -d 'Skip SBOM discovery: describe only the structure (`sbom` is then null)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l plain-http -d 'Use plain HTTP for registries that are not on loopback (loopback always uses it)'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand describe" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l platform -d 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION]' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l concurrency -d 'How many requests may be in flight at once' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l max-sbom-size -d 'Refuse SBOM blobs larger than this many bytes' -r
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l color -d 'When to use colour and box drawing in human output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l json -d 'Print the packages as one JSON document'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l raw -d 'Print the SBOM documents of the manifest exactly as stored'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l plain-http -d 'Use plain HTTP for registries that are not on loopback (loopback always uses it)'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand sbom" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l color -d 'When to use colour and box drawing in human output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l plain-http -d 'Use plain HTTP for registries that are not on loopback (loopback always uses it)'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand schema" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l color -d 'When to use colour and box drawing in human output' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t''
never\t''"
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l plain-http -d 'Use plain HTTP for registries that are not on loopback (loopback always uses it)'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -l insecure -d 'Accept any TLS certificate from registries'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ocx -n "__fish_ocx_using_subcommand generate" -s V -l version -d 'Print version'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom schema generate help" -f -a "describe" -d 'Describe an image, index or artifact: every platform, config, layer and build fact'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom schema generate help" -f -a "sbom" -d 'List the packages of every SBOM attached to an image or index, by every convention'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom schema generate help" -f -a "schema" -d 'Print the JSON Schema of an output'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom schema generate help" -f -a "generate" -d 'Write shell completions and man pages (for packagers and this repository)'
complete -c ocx -n "__fish_ocx_using_subcommand help; and not __fish_seen_subcommand_from describe sbom schema generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
