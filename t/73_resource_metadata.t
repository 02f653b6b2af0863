# SPDX-License-Identifier: Apache-2.0
# RFC 9728 protected-resource metadata (SetHandler jwt-resource-metadata)
# and the resource_metadata parameter of 401 challenges
# (AuthJWTResourceMetadataURL), on a private httpd:
# - three metadata locations, each describing the configuration of its
#   own <Location> (with the server level it inherits): every member
#   checked against that configuration, in a stable order, compact JSON;
#   scopes_supported from the Require jwt-scope lines of the sections
#   with the same AuthJWTResource ("Require not" left out);
# - HEAD, 405 with Allow on POST, content type and caching;
# - a 401 without a token, with a bad token and from Require jwt-scope
#   (insufficient_scope) carry resource_metadata="URL", quoted;
# - a jwt-resource-metadata location without AuthJWTResource stops
#   start-up (AH70140 naming file, line and SetHandler).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT mint);
use AuthJWT::Instance;
use JSON;

my $h = AuthJWT::Instance->new(name => 'meta73', children => 2);
my $base = 'http://127.0.0.1:' . $h->port;
my $wk = '/.well-known/oauth-protected-resource';
$h->{conf} = <<"C";
AuthJWTRevocationStore shm
AuthJWTIssuer https://as.example https://as2.example/realms/x
AuthJWTResource $base/
AuthJWTResourceMetadataURL $base$wk
AuthJWTTokenFrom header cookie=c query=access_token header
AuthJWTDPoPAlgorithms EdDSA ES256
AuthJWTKey \@KEYS\@/rsa.pub
<Location /api>
    AuthType jwt
    AuthName api
    Require jwt-scope read write
</Location>
<Location /api/admin>
    <RequireAll>
        Require jwt-scope admin read
        Require not jwt-scope banned
    </RequireAll>
</Location>
<Location /mcp>
    AuthType jwt
    AuthName mcp
    AuthJWTResource $base/mcp
    AuthJWTResourceMetadataURL $base$wk/mcp
    Require jwt-scope mcp:tools
</Location>
<Location $wk>
    SetHandler jwt-resource-metadata
</Location>
<Location $wk/mcp>
    AuthJWTResource $base/mcp
    AuthJWTIssuer https://mcp-as.example
    AuthJWTTokenFrom cookie=c
    AuthJWTDPoP Required
    AuthJWTMTLS Required
</Location>
<Location $wk/fapi>
    AuthJWTResource $base/fapi
    AuthJWTProfile fapi2
    AuthJWTTokenFrom header
</Location>
C
$h->start;

my $json = JSON->new;
sub meta {
    my $res = $h->get(shift);
    return ($res, scalar eval { $json->decode($res->decoded_content) });
}

subtest 'the server-level resource, as its own location sees it' => sub {
    my ($res, $m) = meta($wk);
    is($res->code, 200, '200');
    is($res->header('Content-Type'), 'application/json', 'application/json');
    like($res->header('Cache-Control') // '', qr/^public, max-age=\d+$/,
         'public, short max-age');
    my $body = $res->decoded_content;
    unlike($body, qr/[ \t]|\n./, 'compact: no spaces, one line');
    is_deeply([ $body =~ /"([a-z_]+)":/g ],
              [ qw(resource authorization_servers bearer_methods_supported
                   dpop_signing_alg_values_supported
                   dpop_bound_access_tokens_required
                   tls_client_certificate_bound_access_tokens
                   scopes_supported) ], 'members in a stable order');
    is($m->{resource}, "$base/", 'resource: AuthJWTResource');
    is_deeply($m->{authorization_servers},
              [ 'https://as.example', 'https://as2.example/realms/x' ],
              'authorization_servers: AuthJWTIssuer');
    is_deeply($m->{bearer_methods_supported}, [ 'header', 'query' ],
              'bearer methods: header and query once each, no cookie');
    is_deeply($m->{dpop_signing_alg_values_supported}, [ 'ES256', 'EdDSA' ],
              'DPoP algorithms: AuthJWTDPoPAlgorithms');
    ok(JSON::is_bool($m->{dpop_bound_access_tokens_required})
       && !$m->{dpop_bound_access_tokens_required}, 'DPoP not required');
    ok(JSON::is_bool($m->{tls_client_certificate_bound_access_tokens})
       && !$m->{tls_client_certificate_bound_access_tokens}, 'no mTLS');
    is_deeply($m->{scopes_supported}, [ qw(read write admin) ],
              'scopes of /api and /api/admin, once each, "not" left out');
    ok(!exists $m->{$_}, "no $_: the module signs no responses")
        for qw(jwks_uri resource_signing_alg_values_supported);
};

subtest 'a second resource with other settings' => sub {
    my ($res, $m) = meta("$wk/mcp");
    is($res->code, 200, '200');
    is($m->{resource}, "$base/mcp", 'its resource');
    is_deeply($m->{authorization_servers}, [ 'https://mcp-as.example' ],
              'its issuer');
    is_deeply($m->{bearer_methods_supported}, [],
              'a cookie alone: no RFC 6750 method');
    is_deeply($m->{dpop_signing_alg_values_supported}, [ 'ES256', 'EdDSA' ],
              'DPoP algorithms inherited from the server level');
    ok($m->{dpop_bound_access_tokens_required}, 'AuthJWTDPoP Required');
    ok($m->{tls_client_certificate_bound_access_tokens},
       'AuthJWTMTLS Required');
    is_deeply($m->{scopes_supported}, [ 'mcp:tools' ], 'the scopes of /mcp');
};

subtest 'fapi2: DPoP required where mTLS is not configured' => sub {
    my ($res, $m) = meta("$wk/fapi");
    is($res->code, 200, '200');
    is($m->{resource}, "$base/fapi", 'its resource');
    is_deeply($m->{bearer_methods_supported}, [ 'header' ], 'header only');
    ok($m->{dpop_bound_access_tokens_required}, 'DPoP required');
    ok(!$m->{tls_client_certificate_bound_access_tokens}, 'no mTLS');
    ok(!exists $m->{scopes_supported}, 'no Require jwt-scope: no scopes');
};

subtest 'HEAD and POST' => sub {
    my $res = $h->request(HEAD => $wk);
    is($res->code, 200, 'HEAD: 200');
    is($res->content, '', 'HEAD: no body');
    $res = $h->request(POST => $wk, body => 'x',
                       type => 'application/x-www-form-urlencoded');
    is($res->code, 405, 'POST: 405');
    # httpd lists the methods in no fixed order
    my @allow = sort grep { $_ ne 'TRACE' } split /\s*,\s*/,
                $res->header('Allow') // '';
    is("@allow", 'GET HEAD', 'Allow: GET and HEAD (TRACE aside)');
};

subtest '401 challenges name the metadata (RFC 9728 5.1)' => sub {
    my $res = $h->get('/api/x');
    is($res->code, 401, 'no token: 401');
    is($res->header('WWW-Authenticate'),
       qq{Bearer realm="api", resource_metadata="$base$wk"},
       'no token: realm and resource_metadata, quoted');
    $res = $h->get('/api/x', token => 'not.a.token');
    is($res->code, 401, 'bad token: 401');
    is($res->header('WWW-Authenticate'), qq{Bearer realm="api", }
       . qq{error="invalid_token", resource_metadata="$base$wk"},
       'bad token: error and resource_metadata');
    # aud names both resources: AuthJWTResource requires it (RFC 8707)
    my $t = mint(alg => 'RS256', claims => { scope => 'read',
                                             iss => 'https://as.example',
                                             aud => ["$base/", "$base/mcp"] });
    $res = $h->get('/mcp/x', token => $t);
    is($res->code, 401, 'no mcp:tools scope: 401');
    is($res->header('WWW-Authenticate'), qq{Bearer realm="mcp", }
       . qq{error="insufficient_scope", resource_metadata="$base$wk/mcp"},
       'insufficient_scope: the location\'s own AuthJWTResourceMetadataURL');
    $res = $h->get('/mcp/x');
    is($res->header('WWW-Authenticate'),
       qq{Bearer realm="mcp", resource_metadata="$base$wk/mcp"},
       'the location\'s own AuthJWTResourceMetadataURL');
    $res = $h->get('/api/x', token => $t);
    isnt($res->code, 401, 'a good token passes authn');
};

$h->stop;

subtest 'no AuthJWTResource for the metadata: start-up error' => sub {
    my $b = AuthJWT::Instance->new(name => 'meta73b', conf => <<"C");
AuthJWTKey \@KEYS\@/rsa.pub
<Location /a>
    AuthJWTResource https://r.example/a
</Location>
<Location /.well-known/oauth-protected-resource>
    SetHandler jwt-resource-metadata
</Location>
C
    my ($rc, $out) = $b->configtest;
    isnt($rc, 0, 'httpd -t fails');
    my $file = $b->conf_file;
    my @l = split /\n/, AuthJWT::Instance::slurp($file);
    my ($line) = grep { $l[$_ - 1] =~ /SetHandler jwt-resource-metadata/ }
                 1 .. @l;
    like($out, qr/AH70140: \Q$file\E:$line: SetHandler (?#
                  )jwt-resource-metadata needs an AuthJWTResource/,
         'AH70140 names the file, line and directive') or diag($out);
    unlike($out, qr/Syntax OK/, 'no Syntax OK');
};

done_testing;
