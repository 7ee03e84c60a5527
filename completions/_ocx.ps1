
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
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for registries that are not on loopback (loopback always uses it)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Describe an image, index or artifact: every platform, config, layer and build fact')
            [CompletionResult]::new('sbom', 'sbom', [CompletionResultType]::ParameterValue, 'List the packages of every SBOM attached to an image or index, by every convention')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of an output')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packagers and this repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocx;describe' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Describe only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once')
            [CompletionResult]::new('--max-sbom-size', '--max-sbom-size', [CompletionResultType]::ParameterName, 'Refuse SBOM blobs larger than this many bytes')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the output schema as one JSON document')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the manifest bytes exactly as stored')
            [CompletionResult]::new('--no-sbom', '--no-sbom', [CompletionResultType]::ParameterName, 'Skip SBOM discovery: describe only the structure (`sbom` is then null)')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for registries that are not on loopback (loopback always uses it)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;sbom' {
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Only the manifest for this platform: OS/ARCH[/VARIANT][:OS_VERSION]')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests may be in flight at once')
            [CompletionResult]::new('--max-sbom-size', '--max-sbom-size', [CompletionResultType]::ParameterName, 'Refuse SBOM blobs larger than this many bytes')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the packages as one JSON document')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the SBOM documents of the manifest exactly as stored')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for registries that are not on loopback (loopback always uses it)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;schema' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for registries that are not on loopback (loopback always uses it)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;generate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour and box drawing in human output')
            [CompletionResult]::new('--plain-http', '--plain-http', [CompletionResultType]::ParameterName, 'Use plain HTTP for registries that are not on loopback (loopback always uses it)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate from registries')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'ocx;help' {
            [CompletionResult]::new('describe', 'describe', [CompletionResultType]::ParameterValue, 'Describe an image, index or artifact: every platform, config, layer and build fact')
            [CompletionResult]::new('sbom', 'sbom', [CompletionResultType]::ParameterValue, 'List the packages of every SBOM attached to an image or index, by every convention')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of an output')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions and man pages (for packagers and this repository)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'ocx;help;describe' {
            break
        }
        'ocx;help;sbom' {
            break
        }
        'ocx;help;schema' {
            break
        }
        'ocx;help;generate' {
            break
        }
        'ocx;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
