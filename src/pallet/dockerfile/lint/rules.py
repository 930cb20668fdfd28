"""BuildKit's Dockerfile lint rules, as data.

Names, descriptions, URLs and message formats match BuildKit's
`frontend/dockerfile/linter/ruleset.go` word for word, so `pallet build --check` output can be
grepped the same way as `docker build --check` output.
"""

from __future__ import annotations

from dataclasses import dataclass

DOCS = "https://docs.docker.com/go/dockerfile/rule/"


@dataclass(frozen=True, slots=True)
class Rule:
    """One lint rule: `format` is a str.format template for the message."""

    name: str
    description: str
    url: str
    format: str
    experimental: bool = False

    def message(self, *args: str) -> str:
        return self.format.format(*args)


def _rule(name: str, slug: str, description: str, format: str, **kw) -> Rule:
    return Rule(name, description, DOCS + slug + "/", format, **kw)


STAGE_NAME_CASING = _rule(
    "StageNameCasing", "stage-name-casing", "Stage names should be lowercase",
    "Stage name '{0}' should be lowercase",
)
FROM_AS_CASING = _rule(
    "FromAsCasing", "from-as-casing",
    "The 'as' keyword should match the case of the 'from' keyword",
    "'{1}' and '{0}' keywords' casing do not match",  # args: from, as
)
NO_EMPTY_CONTINUATION = _rule(
    "NoEmptyContinuation", "no-empty-continuation",
    "Empty continuation lines will become errors in a future release",
    "Empty continuation line",
)
CONSISTENT_INSTRUCTION_CASING = _rule(
    "ConsistentInstructionCasing", "consistent-instruction-casing",
    "All commands within the Dockerfile should use the same casing (either upper or lower)",
    "Command '{0}' should match the case of the command majority ({1})",
)
DUPLICATE_STAGE_NAME = _rule(
    "DuplicateStageName", "duplicate-stage-name", "Stage names should be unique",
    'Duplicate stage name "{0}", stage names should be unique',
)
RESERVED_STAGE_NAME = _rule(
    "ReservedStageName", "reserved-stage-name",
    "Reserved words should not be used as stage names",
    'Stage name should not use the same name as reserved stage "{0}"',
)
JSON_ARGS_RECOMMENDED = _rule(
    "JSONArgsRecommended", "json-args-recommended",
    "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related "
    "to OS signals",
    "JSON arguments recommended for {0} to prevent unintended behavior related to OS signals",
)
MAINTAINER_DEPRECATED = _rule(
    "MaintainerDeprecated", "maintainer-deprecated",
    "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    "Maintainer instruction is deprecated in favor of using label",
)
UNDEFINED_ARG_IN_FROM = _rule(
    "UndefinedArgInFrom", "undefined-arg-in-from", "FROM command must use declared ARGs",
    "FROM argument '{0}' is not declared{1}",  # {1}: " (did you mean X?)" or ""
)
WORKDIR_RELATIVE_PATH = _rule(
    "WorkdirRelativePath", "workdir-relative-path",
    "Relative workdir without an absolute workdir declared within the build can have "
    "unexpected results if the base image changes",
    'Relative workdir "{0}" can have unexpected results if the base image changes',
)
UNDEFINED_VAR = _rule(
    "UndefinedVar", "undefined-var", "Variables should be defined before their use",
    "Usage of undefined variable '${0}'{1}",  # {1}: " (did you mean $X?)" or ""
)
MULTIPLE_INSTRUCTIONS_DISALLOWED = _rule(
    "MultipleInstructionsDisallowed", "multiple-instructions-disallowed",
    "Multiple instructions of the same type should not be used in the same stage",
    "Multiple {0} instructions should not be used in the same stage because only the last "
    "one will be used",
)
LEGACY_KEY_VALUE_FORMAT = _rule(
    "LegacyKeyValueFormat", "legacy-key-value-format",
    "Legacy key/value format with whitespace separator should not be used",
    '"{0} key=value" should be used instead of legacy "{0} key value" format',
)
REDUNDANT_TARGET_PLATFORM = _rule(
    "RedundantTargetPlatform", "redundant-target-platform",
    "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the "
    "default behavior",
    "Setting platform to predefined {0} in FROM is redundant as this is the default behavior",
)
SECRETS_USED_IN_ARG_OR_ENV = _rule(
    "SecretsUsedInArgOrEnv", "secrets-used-in-arg-or-env",
    "Sensitive data should not be used in the ARG or ENV commands",
    'Do not use ARG or ENV instructions for sensitive data ({0} "{1}")',
)
INVALID_DEFAULT_ARG_IN_FROM = _rule(
    "InvalidDefaultArgInFrom", "invalid-default-arg-in-from",
    "Default value for global ARG results in an empty or invalid base image name",
    "Default value for ARG {0} results in empty or invalid base image name",
)
FROM_PLATFORM_FLAG_CONST_DISALLOWED = _rule(
    "FromPlatformFlagConstDisallowed", "from-platform-flag-const-disallowed",
    "FROM --platform flag should not use a constant value",
    'FROM --platform flag should not use constant value "{0}"',
)
COPY_IGNORED_FILE = _rule(
    "CopyIgnoredFile", "copy-ignored-file",
    "Attempting to Copy file that is excluded by .dockerignore",
    'Attempting to {0} file "{1}" that is excluded by .dockerignore',
    experimental=True,
)
EXPOSE_PROTO_CASING = _rule(
    "ExposeProtoCasing", "expose-proto-casing",
    "Protocol in EXPOSE instruction should be lowercase",
    "Defined protocol '{0}' in EXPOSE instruction should be lowercase",
)
EXPOSE_INVALID_FORMAT = _rule(
    "ExposeInvalidFormat", "expose-invalid-format",
    "IP address and host-port mapping should not be used in EXPOSE instruction. This will "
    "become an error in a future release",
    "EXPOSE instruction should not define an IP address or host-port mapping, found '{0}'",
)

ALL_RULES: tuple[Rule, ...] = (
    STAGE_NAME_CASING, FROM_AS_CASING, NO_EMPTY_CONTINUATION, CONSISTENT_INSTRUCTION_CASING,
    DUPLICATE_STAGE_NAME, RESERVED_STAGE_NAME, JSON_ARGS_RECOMMENDED, MAINTAINER_DEPRECATED,
    UNDEFINED_ARG_IN_FROM, WORKDIR_RELATIVE_PATH, UNDEFINED_VAR,
    MULTIPLE_INSTRUCTIONS_DISALLOWED, LEGACY_KEY_VALUE_FORMAT, REDUNDANT_TARGET_PLATFORM,
    SECRETS_USED_IN_ARG_OR_ENV, INVALID_DEFAULT_ARG_IN_FROM,
    FROM_PLATFORM_FLAG_CONST_DISALLOWED, COPY_IGNORED_FILE, EXPOSE_PROTO_CASING,
    EXPOSE_INVALID_FORMAT,
)
RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in ALL_RULES}
