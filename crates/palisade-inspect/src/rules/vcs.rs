//! Secret rules, family table: Source hosting, package registries and CI/CD: GitHub, GitLab, npm, PyPI, Docker Hub, CircleCI and others.
//! Generated once from a rule sheet; each row carries a true- and a false-positive example that
//! the table-driven test in `rules::tests` checks.

use super::{Family::*, SecretRule as R, Validator as V};
use palisade_core::{Confidence as C, Severity as S};

#[rustfmt::skip]
pub(super) const RULES: &[R] = &[
    R::new(Vcs, "github-pat", &[r#"ghp_"#],
        r#"\b(ghp_[A-Za-z0-9]{36})\b"#,
        r#"GITHUB_TOKEN=ghp_e0zjYuvIiCpDaWpBoQ9kCdfQI2j3zIIgvLOJ"#,
        r#"ghp_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "github-oauth-token", &[r#"gho_"#],
        r#"\b(gho_[A-Za-z0-9]{36})\b"#,
        r#"GITHUB_TOKEN=gho_bFbDQxGB7dG7ElQpCxqojSrszX63RbEBFlAN"#,
        r#"gho_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "github-user-to-server-token", &[r#"ghu_"#],
        r#"\b(ghu_[A-Za-z0-9]{36})\b"#,
        r#"GITHUB_TOKEN=ghu_FCmS3VPV7XtLLAxltZqgl5QYq6eBVvtUdblo"#,
        r#"ghu_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "github-server-to-server-token", &[r#"ghs_"#],
        r#"\b(ghs_[A-Za-z0-9]{36})\b"#,
        r#"GITHUB_TOKEN=ghs_Ax8COesd7LaX9D2X3MN1YKcwSZgH0FH997CD"#,
        r#"ghs_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "github-refresh-token", &[r#"ghr_"#],
        r#"\b(ghr_[A-Za-z0-9]{36,76})\b"#,
        r#"ghr_wfvt4Q4MjxLflYC6OOIxTpN1ORQdd7MSpwzXA9IRmW5G64czJvnqQl2D9CHxXfYUZciBhJRJIxSR"#,
        r#"ghr_short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "github-fine-grained-pat", &[r#"github_pat_"#],
        r#"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b"#,
        r#"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"#,
        r#"github_pat_example"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "gitlab-pat", &[r#"glpat-"#],
        r#"\b(glpat-[A-Za-z0-9_.-]{20,60})(?:[^A-Za-z0-9_-]|$)"#,
        r#"GITLAB_TOKEN=glpat-3P3yHZU85GiVCHM97i4e"#,
        r#"glpat-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "gitlab-deploy-token", &[r#"gldt-"#],
        r#"\b(gldt-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"gldt-mZN5yBPttGI78btXJi1R"#,
        r#"gldt-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-runner-auth-token", &[r#"glrt-"#],
        r#"\b(glrt-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glrt-Ip7cMh6s4GyE2jT2tuBZ"#,
        r#"glrt-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-feed-token", &[r#"glft-"#],
        r#"\b(glft-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glft-oA2kKFx4G7cmDLtLQsgr"#,
        r#"glft-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-incoming-mail-token", &[r#"glimt-"#],
        r#"\b(glimt-[A-Za-z0-9_-]{25})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glimt-aBtL0tRSFETwuksf5LV56BW6h"#,
        r#"glimt-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-oauth-app-secret", &[r#"gloas-"#],
        r#"\b(gloas-[A-Za-z0-9_-]{64})(?:[^A-Za-z0-9_-]|$)"#,
        r#"gloas-1NAONwUyBltA8lyAb4cv6lPQTz7MMBm3YbxQjkeq0HGuqtjm6EQWInM3rPIX17dn"#,
        r#"gloas-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-scim-token", &[r#"glsoat-"#],
        r#"\b(glsoat-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glsoat-7Ysl32pKsXeGephgMdhC"#,
        r#"glsoat-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-agent-token", &[r#"glagent-"#],
        r#"\b(glagent-[A-Za-z0-9_-]{50})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glagent-JJzN2AAbhTqz411BPTdZp5hlh387bqep01XXPO4r1vaXLOvoXD"#,
        r#"glagent-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-feature-flag-client-token", &[r#"glffct-"#],
        r#"\b(glffct-[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glffct-U1489vofkFkbbi4lC1Jx"#,
        r#"glffct-short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-pipeline-trigger-token", &[r#"glptt-"#],
        r#"\b(glptt-[a-f0-9]{40})\b"#,
        r#"glptt-25288cb379037a849b53081ce30d17e1b8d56eb8"#,
        r#"glptt-short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-runner-registration-token", &[r#"gr1348941"#],
        r#"\b(GR1348941[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"GR1348941Nkgn3rXYDG2JnvOmjqeb"#,
        r#"GR1348941"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "gitlab-cicd-job-token", &[r#"glcbt-"#],
        r#"\b(glcbt-[A-Za-z0-9]{1,5}_[A-Za-z0-9_-]{20})(?:[^A-Za-z0-9_-]|$)"#,
        r#"glcbt-64_uopNCu5tX486a1D4iLED"#,
        r#"glcbt-x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "bitbucket-app-password", &[r#"atbb"#],
        r#"\b(ATBB[A-Za-z0-9_=.-]{28,32})"#,
        r#"ATBB3SjODzJGJqcj2xXcvyn0JBCsqk0o29Zb"#,
        r#"ATBB short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "atlassian-api-token", &[r#"atatt3"#],
        r#"\b(ATATT3[A-Za-z0-9_=-]{186})(?:[^A-Za-z0-9_-]|$)"#,
        r#"ATATT32w6Oi5aifnGWp5SC8TlZ5bSCy4mH5QA8ZlFcf3M2CodpMgc78k71lIb7mggP2hkQEb303fYRH6Hho1UpaIxLVmF3wL1d0e6RcjdsmvWdUh94WGfkpswQtVJBhNEB78gp5zhHiv98OOjwcMxzPJaAsmh8ZUhoBz6odUrzN63xg7LuAKPLFiyiu6C9OT"#,
        r#"ATATT3x"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "atlassian-legacy-token", &[r#"atlassian"#, r#"jira_api"#, r#"jira_token"#, r#"jira-api"#, r#"jira-token"#, r#"confluence"#],
        r#"(?i:atlassian[\w]*|jira[_-]?(?:api[_-]?)?token|confluence[\w]*token)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{24})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"JIRA_API_TOKEN=gfQDEZdblFzZ5GoZAboL5B0H"#,
        r#"JIRA_API_TOKEN=token"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "npm-access-token", &[r#"npm_"#],
        r#"\b(npm_[A-Za-z0-9]{36})\b"#,
        r#"NPM_TOKEN=npm_7yaAnWpIfCB0Y7O3d3p7I6ZtGPqfsBJfyvXr"#,
        r#"npm_config_registry_url_value"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "npmrc-auth-token", &[r#"_authtoken"#],
        r#":_authToken=([A-Za-z0-9_-]{30,})"#,
        r#"//registry.npmjs.org/:_authToken=d41f068e-8556-c801-50d9-dc1372b553d4"#,
        r#"//registry.npmjs.org/:_authToken=${NPM_TOKEN}"#)
        .entropy(30).check(V::None).conf(C::High).sev(S::High).window(4, 320),
    R::new(Vcs, "pypi-upload-token", &[r#"pypi-ageichlwas5vcmc"#],
        r#"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})(?:[^A-Za-z0-9_-]|$)"#,
        r#"pypi-AgEIcHlwaS5vcmcHG26zqjfZzQs5O3j56PRG79aFD5yFj6K6inYIgu34eLKOUDaAdijbuRcc6WrF4DYxpyNyN"#,
        r#"pypi-AgEIcHlwaS5vcmc"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::Critical).window(64, 320),
    R::new(Vcs, "testpypi-upload-token", &[r#"pypi-agendgvzdc5wexbplm9yzw"#],
        r#"\b(pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,})(?:[^A-Za-z0-9_-]|$)"#,
        r#"pypi-AgENdGVzdC5weXBpLm9yZwCdYqPmMLXjhQKp7BxjLk3XDZlf0nl8MCwpSetiJIOmK8egF62n5FFzxT8ZkAJqdLhg0H44"#,
        r#"pypi-AgENdGVzdC5weXBpLm9yZw"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "rubygems-api-key", &[r#"rubygems_"#],
        r#"\b(rubygems_[a-f0-9]{48})\b"#,
        r#"rubygems_693c6d751131b4adcea49b66ac9e499230a67f7a8fd4ecef"#,
        r#"rubygems_version"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "nuget-api-key", &[r#"oy2"#],
        r#"\b(oy2[a-z0-9]{43})\b"#,
        r#"NUGET_API_KEY=oy2asl8ae6f3yxg527n8qai4ejdy4s3lpnvpsturqlv9by"#,
        r#"oy2 short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "clojars-token", &[r#"clojars_"#],
        r#"\b(CLOJARS_[a-z0-9]{60})\b"#,
        r#"CLOJARS_dz4b9hhckk2qy1n4g8cjgg3nygb6qp4ch6h4kuflqe5w7i9j5c9wf4zssuzi"#,
        r#"CLOJARS_USERNAME"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "crates-io-token", &[r#"cio"#],
        r#"\b(cio[A-Za-z0-9]{32})\b"#,
        r#"CARGO_REGISTRY_TOKEN=cioA15tVyCdKPL03atcEPqmyDz4zcJyPFiv"#,
        r#"precious metals"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "docker-hub-pat", &[r#"dckr_pat_"#],
        r#"\b(dckr_pat_[A-Za-z0-9_-]{27})(?:[^A-Za-z0-9_-]|$)"#,
        r#"DOCKER_PAT=dckr_pat_whRFSVaOlyVZjr0yCctpfrXgWIl"#,
        r#"dckr_pat_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "docker-config-auth", &[r#""auth""#],
        r#""auth"\s*:\s*"([A-Za-z0-9+/]{16,}={0,2})""#,
        r#"{"auths":{"ghcr.io":{"auth":"ZGVwbG95OjhNZk1xUDVaVlF5bVRSQjFVVg=="}}}"#,
        r#"{"auth": "ZXhhbXBsZQZXhhbXBsZQ"}"#)
        .entropy(0).check(V::BasicAuth).conf(C::High).sev(S::High).window(4, 320),
    R::new(Vcs, "jfrog-api-key", &[r#"akcp"#],
        r#"\b(AKCp[A-Za-z0-9]{69})\b"#,
        r#"AKCpZ5UZqf2LSzr1ZmZRvtfKBIy4gFtEqSdvcAi9vnfkvrBEUpq0VhBR8D0gXRaLjnUDFd6Ye"#,
        r#"AKCp short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "jfrog-identity-token", &[r#"cmvmdgtu"#],
        r#"\b(cmVmdGtu[A-Za-z0-9]{56})\b"#,
        r#"cmVmdGtu5XExQ5qRWGztfCIGL8KhrjS9dnO0KzayULma52ZOd63ltqMq1oAPqim6"#,
        r#"cmVmdGtu short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "circleci-token", &[r#"circleci"#, r#"circle_ci"#, r#"circle-ci"#, r#"circle_token"#, r#"circle-token"#],
        r#"(?i:circle[_-]?ci[\w]*|circle[_-]?token)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?((?:CCIPAT_[A-Za-z0-9]{22}_)?[a-f0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"CIRCLECI_TOKEN=479a6d7ad7f0a349b9d9881977b34ce53e843b8a"#,
        r#"CIRCLECI_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "travis-ci-token", &[r#"travis"#],
        r#"(?i:travis[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{22})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"TRAVIS_TOKEN=ql3yFPrlzCflwXHiVJyqrr"#,
        r#"TRAVIS_TOKEN="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "buildkite-token", &[r#"bkua_"#],
        r#"\b(bkua_[a-f0-9]{40})\b"#,
        r#"bkua_505384219308bf9e02dcdd6e10b5f75462844c27"#,
        r#"bkua_x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "sonarqube-token", &[r#"sqp_"#, r#"squ_"#, r#"sqa_"#],
        r#"\b(sq[pua]_[a-f0-9]{40})\b"#,
        r#"SONAR_TOKEN=sqp_ede56b947d13e00cf43c7d37b776138fcdc98b31"#,
        r#"sqp_short"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "snyk-token", &[r#"snyk"#],
        r#"(?i:snyk[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"SNYK_TOKEN=eaee3cc3-38d8-5d6b-8239-3f604e09d9d4"#,
        r#"SNYK_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "codecov-token", &[r#"codecov"#],
        r#"(?i:codecov[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"CODECOV_TOKEN=db4199f7-9988-8192-8176-c2e07c757ca1"#,
        r#"CODECOV_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "drone-ci-token", &[r#"drone"#],
        r#"(?i:drone[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([A-Za-z0-9]{32})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"DRONE_TOKEN=8PUow2TFKmOBBjjcFROOC0QN12VijeKD"#,
        r#"DRONE_TOKEN="#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "jenkins-api-token", &[r#"jenkins"#],
        r#"(?i:jenkins[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{34})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"JENKINS_API_TOKEN=82cb94145847cdf2df902a7f9a9f19edd4"#,
        r#"JENKINS_API_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "octopus-deploy-api-key", &[r#"octopus"#],
        r#"(?i:octopus[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?(API-[A-Z0-9]{26})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"OCTOPUS_API_KEY=API-IGGL42CIMR81UWRAJHGN1FXNDF"#,
        r#"OCTOPUS_API_KEY=API-"#)
        .entropy(35).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "gitea-token", &[r#"gitea"#],
        r#"(?i:gitea[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([a-f0-9]{40})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"GITEA_TOKEN=73131d0aa2c4f7d4035dd2e0a089683b25a9d997"#,
        r#"GITEA_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "launchdarkly-key", &[r#"launchdarkly"#, r#"ld_sdk_key"#, r#"ld-sdk-key"#],
        r#"(?i:launchdarkly[\w]*|ld[_-]sdk[_-]key)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?((?:api|sdk)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"LD_SDK_KEY=sdk-24c358c8-2c37-5065-9339-4fa7877d9fd1"#,
        r#"LD_SDK_KEY=sdk-"#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
    R::new(Vcs, "harness-pat", &[r#"pat."#],
        r#"\b(pat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20})\b"#,
        r#"pat.sOAfngoXKNw5XC7Z0VtwCx.l0r0Ks4S2qIabkUDCqk8Rx1y.SWJaIkQB16Gg6WRXEird"#,
        r#"pat.short"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "linear-api-key", &[r#"lin_api_"#],
        r#"\b(lin_api_[A-Za-z0-9]{40})\b"#,
        r#"LINEAR_API_KEY=lin_api_w5NQy0uFYHJCyQehEO9hUbQQSJG6XuAIeuIsA0qd"#,
        r#"lin_api_x"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "sentry-org-token", &[r#"sntrys_"#],
        r#"\b(sntrys_eyJ[A-Za-z0-9+/=_-]{80,})"#,
        r#"SENTRY_AUTH_TOKEN=sntrys_eyJqOCDdIPsOnxmdl14DXnJdIRTSlZWyMpslHefMstItIFCggak6OBGBMXOEdeUJgI5aAnOBUO70PkTJ4D1fx1btTLrtxO2g0ShmBObUUNb2tt37D8oUWfMDD8g"#,
        r#"sntrys_x"#)
        .entropy(40).check(V::None).conf(C::High).sev(S::High).window(64, 1024),
    R::new(Vcs, "sentry-user-token", &[r#"sntryu_"#],
        r#"\b(sntryu_[a-f0-9]{64})\b"#,
        r#"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"#,
        r#"sntryu_x"#)
        .entropy(25).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "render-api-key", &[r#"rnd_"#],
        r#"\b(rnd_[A-Za-z0-9]{32})\b"#,
        r#"RENDER_API_KEY=rnd_dJ2k58BP0qeA2IC9dtBhVuh5uHcmeRfA"#,
        r#"rnd_seed_value"#)
        .entropy(35).check(V::None).conf(C::High).sev(S::High).window(64, 320),
    R::new(Vcs, "railway-token", &[r#"railway"#],
        r#"(?i:railway[\w]*)[\w.-]{0,25}["'`]?\s{0,4}(?::=|=>|:|=)\s{0,4}["'`]?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?:[^A-Za-z0-9_+/=-]|$)"#,
        r#"RAILWAY_TOKEN=160d6fd2-fc03-f822-71c5-b3544707c7a3"#,
        r#"RAILWAY_TOKEN="#)
        .entropy(30).check(V::None).conf(C::Medium).sev(S::High).window(8, 320),
];
