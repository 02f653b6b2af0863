# SPDX-License-Identifier: Apache-2.0
# Tokens shaped like those of the common identity providers (Keycloak,
# Auth0, Entra ID, Okta, Google) against conf-examples/idp-*.conf as they
# are written: each example is loaded into a private httpd, its key line
# (AuthJWTJwksURL / AuthJWTDiscoveryURL) replaced by a local JWKS file
# (AuthJWTKey) plus, for discovery, the issuer the document would give.
# When the module declares the URL directives, the same cases run a second
# time with the examples' URLs pointed at a local HTTPS provider serving
# the JWK Set and the discovery documents, nothing else changed.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir make_ca make_cert spew slurp jwk jwks_json
                         wait_until);
use JSON ();
use Digest::SHA ();
use MIME::Base64 ();

my $top = "$FindBin::Bin/..";
my $examples = "$top/conf-examples";
my $T = JSON::true;
my $F = JSON::false;
my $KID = 'Zx3lS0kV9qL2bT8uRw5nQy1mH4cJ6pEa';   # looks like a real kid

sub uuid { join '-', map { sprintf '%0*x', $_ * 2, int rand(256 ** $_) }
           4, 2, 2, 2 }

# The providers: example file, issuer, where the keys live on the
# provider (JWKS path or discovery path), and the cases.
my $kc_iss = 'https://sso.example.com/realms/example';
my $a0_iss = 'https://example.us.auth0.com/';
my $tenant = '0f1e2d3c-4b5a-4697-8877-665544332211';
my $app = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
my $okta_iss = 'https://example.okta.com/oauth2/default';
my $g_client = '1234567890-abcdefghijklmnop.apps.googleusercontent.com';
my $oid = 'a1b2c3d4-e5f6-4789-8abc-def012345678';

my @providers = (
    {
        name => 'Keycloak', file => 'idp-keycloak.conf', iss => $kc_iss,
        base => sub { (
            iss => $kc_iss, aud => ['intranet', 'account'],
            sub => '5f0c8e1a-3b2d-4c6e-9f7a-1b2c3d4e5f60', typ => 'Bearer',
            azp => 'intranet', session_state => uuid(), sid => uuid(),
            acr => '1', scope => 'openid profile email',
            auth_time => NOW - 60, jti => uuid(),
            preferred_username => 'alice', email => 'alice@example.com',
            email_verified => $T, name => 'Alice Liddell',
            realm_access => { roles => [qw(offline_access
                                uma_authorization default-roles-example)] },
            resource_access => { account => {
                roles => [qw(manage-account view-profile)] } },
        ) },
        cases => [
            ['realm role staff', '/intranet/', 200, user => 'alice',
             realm_access => { roles => [qw(offline_access staff)] }],
            ['client role viewer of intranet', '/intranet/', 200,
             resource_access => { intranet => { roles => ['viewer'] },
                                  account => { roles => ['view-profile'] } }],
            ['viewer of another client', '/intranet/', 403,
             resource_access => { account => { roles => ['viewer'] } }],
            ['default roles only', '/intranet/', 403],
            ['client role admin: admin area', '/intranet/admin/', 200,
             resource_access => { intranet => { roles => ['admin'] } }],
            ['realm role admin is not the client role', '/intranet/admin/',
             403, realm_access => { roles => [qw(admin staff)] }],
            ['aud lacks the client (no audience mapper)', '/intranet/', 401,
             aud => 'account',
             realm_access => { roles => ['staff'] }],
            ['token of another realm', '/intranet/', 401,
             iss => 'https://sso.example.com/realms/other',
             realm_access => { roles => ['staff'] }],
        ],
    },
    {
        name => 'Auth0', file => 'idp-auth0.conf', iss => $a0_iss,
        base => sub { (
            iss => $a0_iss, sub => 'auth0|64f1c0a2b3c4d5e6f7a8b9c0',
            aud => ['https://api.example.com',
                    'https://example.us.auth0.com/userinfo'],
            azp => 'Xk2mPq9RtV4wYz7aBc1dEf3gHi5jKl8n',
            scope => 'openid profile email',
        ) },
        cases => [
            ['namespaced role claim', '/api/', 200,
             user => 'auth0|64f1c0a2b3c4d5e6f7a8b9c0',
             'https://example.com/roles' => ['editor']],
            ['namespaced role claim without the role', '/api/', 403,
             'https://example.com/roles' => ['viewer']],
            ['un-namespaced roles claim is not read', '/api/', 403,
             roles => ['editor']],
            ['scope string has read:messages', '/api/messages/', 200,
             scope => 'openid profile read:messages'],
            ['scope string lacks it', '/api/messages/', 403,
             scope => 'openid read:messages:all'],
            ['permissions and role admin', '/api/admin/', 200,
             permissions => [qw(read:messages delete:messages)],
             'https://example.com/roles' => ['admin']],
            ['permission without role admin', '/api/admin/', 403,
             permissions => [qw(read:messages delete:messages)],
             'https://example.com/roles' => ['editor']],
            ['role admin without the permission', '/api/admin/', 403,
             permissions => ['read:messages'],
             'https://example.com/roles' => ['admin']],
            ['token for another API', '/api/', 401,
             aud => 'https://other.example.com',
             'https://example.com/roles' => ['editor']],
            ['issuer without the trailing slash', '/api/', 401,
             iss => 'https://example.us.auth0.com',
             'https://example.com/roles' => ['editor']],
        ],
    },
    {
        name => 'Entra ID', file => 'idp-entra.conf',
        iss => "https://login.microsoftonline.com/$tenant/v2.0",
        base => sub { (
            iss => "https://login.microsoftonline.com/$tenant/v2.0",
            aud => $app, ver => '2.0', tid => $tenant, oid => $oid,
            sub => 'kL9mN0pQ1rS2tU3vW4xY5zA6bC7dE8fG9hI0jK1lM2n',
            azp => 'b2c3d4e5-f6a7-4890-9bcd-ef0123456789', azpacr => '0',
            name => 'Alice Liddell', preferred_username => 'alice@example.com',
            uti => 'AbCdEfGhIjKlMnOpQrStUv', rh => '0.AXEA...',
            nbf => NOW - 5,
        ) },
        cases => [
            ['v2 token, app role', '/reports/', 200, user => $oid,
             roles => ['Reports.Read']],
            ['v1 token (sts.windows.net, App ID URI), delegated scope',
             '/reports/', 200, iss => "https://sts.windows.net/$tenant/",
             aud => "api://$app", ver => '1.0', upn => 'alice@example.com',
             scp => 'User.Read Reports.Read.All'],
            ['v1 token of another tenant', '/reports/', 401,
             iss => 'https://sts.windows.net/99999999-8888-4777-8666-555555555555/',
             aud => "api://$app", roles => ['Reports.Read']],
            ['token for Microsoft Graph', '/reports/', 401,
             aud => '00000003-0000-0000-c000-000000000000',
             scp => 'User.Read Reports.Read.All'],
            ['neither the role nor the scope', '/reports/', 403,
             roles => ['Reports.Write'], scp => 'User.Read Files.Read'],
            ['admin role', '/reports/admin/', 200, roles => ['Reports.Admin']],
            ['read role in the admin area', '/reports/admin/', 403,
             roles => ['Reports.Read']],
        ],
    },
    {
        name => 'Okta', file => 'idp-okta.conf', iss => $okta_iss,
        header => { kid => $KID },       # Okta often sends no typ
        base => sub { (
            ver => 1, jti => 'AT.' . uuid(), iss => $okta_iss,
            aud => 'api://default', sub => 'alice@example.com',
            cid => '0oa1b2c3d4e5f6g7h8i9', uid => '00u1a2b3c4d5e6f7g8h9',
            auth_time => NOW - 30, scp => [qw(openid email)],
            groups => ['Everyone'],
        ) },
        cases => [
            ['group Engineering', '/team/', 200, user => 'alice@example.com',
             groups => [qw(Everyone Engineering)]],
            ['group Everyone only', '/team/', 403],
            ['scp array has reports.read', '/team/reports/', 200,
             scp => [qw(openid email reports.read)]],
            ['scp array lacks it', '/team/reports/', 403,
             groups => [qw(Everyone Engineering)]],
            ['token for another audience', '/team/', 401,
             aud => 'api://other', groups => ['Engineering']],
        ],
    },
    {
        name => 'Google', file => 'idp-google.conf',
        iss => 'https://accounts.google.com',
        base => sub { (
            iss => 'https://accounts.google.com', azp => $g_client,
            aud => $g_client, sub => '109876543210123456789',
            email => 'alice@example.com', email_verified => $T,
            hd => 'example.com', at_hash => 'HK6E_P6Dh8Y93mRNtsDB1Q',
            name => 'Alice Liddell', given_name => 'Alice',
            family_name => 'Liddell', locale => 'en',
            picture => 'https://lh3.googleusercontent.com/a/ACg8ocK',
            nbf => NOW - 10, jti => 'f0e1d2c3b4a5968778695a4b3c2d1e0f',
        ) },
        cases => [
            ['verified e-mail of the hosted domain', '/members/', 200,
             user => 'alice@example.com'],
            ['old issuer form accounts.google.com', '/members/', 200,
             iss => 'accounts.google.com'],
            ['e-mail not verified', '/members/', 403,
             email_verified => $F],
            ['consumer account (no hd)', '/members/', 403,
             email => 'alice@gmail.com', hd => undef],
            ['another hosted domain', '/members/', 403,
             email => 'alice@example.org', hd => 'example.org'],
            ['token for another client', '/members/', 401,
             aud => '999-other.apps.googleusercontent.com'],
        ],
    },
);

# --------------------------------------------------- keys and instance
my $dir = tmpdir();
my $k = keys_dir();
# A JWK Set as the providers publish them: the signing key with its
# certificate (x5c, x5t: Auth0, Entra; Entra adds "issuer"), the next key
# published ahead of use, and an encryption key (Keycloak publishes one,
# "use": "enc", "alg": "RSA-OAEP"), which must be skipped, not fatal.
my $crt = slurp("$k/rsa.crt");
$crt =~ s/-----[^-]+-----//g;
$crt =~ s/\s+//g;
my $x5t = b64u(Digest::SHA::sha1(MIME::Base64::decode_base64($crt)));
my $jwks_text = jwks_json(
    jwk("$k/rsa.pub", kid => $KID, use => 'sig', alg => 'RS256',
        x5c => [$crt], x5t => $x5t,
        issuer => "https://login.microsoftonline.com/$tenant/v2.0"),
    jwk("$k/rsa2.pub", kid => 'next-' . substr($KID, 5), use => 'sig',
        alg => 'RS256'),
    jwk("$k/evil-rsa.pub", kid => 'enc-' . substr($KID, 4), use => 'enc',
        alg => 'RSA-OAEP'));
spew("$dir/provider.jwks", $jwks_text);

# The host part of a URL and its path: where the local provider serves it.
sub split_url {
    my $u = shift;
    $u =~ m{^https://([^/]+)(/.*)$} or die "not an https URL: $u";
    return ($1, $2);
}

# conf_of(PROVIDER, MODE, IDP): the example's text for this run.
sub conf_of {
    my ($p, $mode, $idp, $ca) = @_;
    my $text = slurp("$examples/$p->{file}");
    $text =~ s{/usr/lib/apache2/modules/mod_auth_jwt\.so}{$ENV{AJWT_MODULE}}g;
    my $n = 0;
    $text =~ s{^(\s*)AuthJWT(JwksURL|DiscoveryURL)\s+(\S+)(.*)$}{
        my ($ind, $what, $url, $rest) = ($1, $2, $3, $4);
        $n++;
        if ($mode eq 'file') {
            "${ind}AuthJWTKey $dir/provider.jwks"
            . ($what eq 'DiscoveryURL' ? "\n${ind}AuthJWTIssuer $p->{iss}"
                                       : '');
        }
        else {
            my ($host, $path) = split_url($url);
            serve($p, $idp, $what, $path);
            "${ind}AuthJWT$what " . $idp->url($path) . "$rest\n"
            . "${ind}AuthJWTJwksCA $ca";
        }
    }gem;
    $p->{keyline} = $n;
    return $text;
}

# Serve the provider's documents on the local HTTPS provider.
sub serve {
    my ($p, $idp, $what, $path) = @_;
    if ($what eq 'JwksURL') {
        $idp->set($path, body => $jwks_text);
        return;
    }
    my $jwks_path = "$path.keys";
    $idp->set($jwks_path, body => $jwks_text);
    $idp->set($path, body => JSON->new->canonical->encode({
        issuer => $p->{iss},
        jwks_uri => $idp->url($jwks_path),
        authorization_endpoint => "$p->{iss}/protocol/openid-connect/auth",
        token_endpoint => "$p->{iss}/protocol/openid-connect/token",
        response_types_supported => [qw(code id_token)],
        subject_types_supported => ['public'],
        id_token_signing_alg_values_supported => ['RS256'],
    }));
}

sub locations {
    my $text = shift;
    return $text =~ /^\s*<Location\s+"([^"]+)"/mg;
}

sub token_for {
    my ($p, %c) = @_;
    delete @c{qw(user)};
    return mint(alg => 'RS256', key => 'rsa',
                header => $p->{header} || { kid => $KID, typ => 'JWT' },
                claims => { $p->{base}->(), iat => NOW - 2,
                            exp => NOW + 3600, %c });
}

sub run_mode {
    my ($mode, $idp, $ca) = @_;
    my @conf;
    my @paths;
    for my $p (@providers) {
        my $text = conf_of($p, $mode, $idp, $ca);
        is($p->{keyline}, 1, "$p->{file}: one key source line ($mode mode)");
        push @paths, locations($text);
        push @conf, "# ---- $p->{file}", $text;
    }
    my $h = AuthJWT::Provider->module(conf => \@conf);
    $h->doc("$_/ok.txt", "granted $_\n") for @paths;
    ok($h->start, "httpd starts with the five examples ($mode mode)")
        or return diag($h->stderr . $h->error_log);

    for my $p (@providers) {
        for my $c (@{ $p->{cases} }) {
            my ($desc, $path, $want, %claims) = @$c;
            my $tok = token_for($p, %claims);
            my $am = $h->access_mark;
            my $lm = $h->log_mark;
            my $r = $h->get("${path}ok.txt", $tok);
            subtest "$p->{name} ($mode): $desc -> $want" => sub {
                is($r->code, $want, "status $want")
                    or diag($h->log_since($lm));
                my $www = $r->header('WWW-Authenticate') // '';
                if ($want == 200) {
                    is($r->content, "granted $path\n", 'the page');
                    if (defined $claims{user}) {
                        # the access log line is written after the
                        # response has left: give it a moment
                        my $re = qr/^127\.0\.0\.1 \Q$claims{user}\E \[/m;
                        wait_until(3, sub { $h->access_since($am) =~ $re });
                        like($h->access_since($am), $re,
                             "REMOTE_USER $claims{user}");
                    }
                }
                elsif ($want == 403) {
                    like($www, qr/error="insufficient_scope"/,
                         'insufficient_scope');
                }
                else {
                    like($www, qr/error="invalid_token"/, 'invalid_token');
                    like($h->log_since($lm), qr/AH700(?:13|14):/,
                         'issuer or audience refused in the log');
                }
            };
        }
    }
    # A token of the right shape signed by someone else's key.
    my $p = $providers[0];
    my $forged = mint(alg => 'RS256', key => 'evil-rsa',
                      header => { kid => $KID, typ => 'JWT' },
                      claims => { $p->{base}->(), exp => NOW + 600,
                                  realm_access => { roles => ['staff'] } });
    is($h->get('/intranet/ok.txt', $forged)->code, 401,
       "Keycloak ($mode): same shape, foreign signature: 401");
    $h->stop;
}

run_mode('file');

my $mod_c = join("", map { slurp($_) } glob("$top/mod_auth_jwt*.c"));
SKIP: {
    skip 'AuthJWTJwksURL / AuthJWTDiscoveryURL not declared yet', 1
        unless $mod_c =~ /"AuthJWTJwksURL"/ && $mod_c =~ /"AuthJWTDiscoveryURL"/;
    my $ca = make_ca($dir, 'idp-ca');
    my $cert = make_cert($dir, 'idp', $ca);
    my $idp = AuthJWT::Provider->idp(cert => $cert);
    ok($idp->start, 'local HTTPS provider starts') or diag($idp->stderr);
    run_mode('url', $idp, $ca->{crt});
    $idp->stop;
}

done_testing;
