# SPDX-License-Identifier: Apache-2.0
# AuthJWTTokenType at+jwt (RFC 9068: typ at+jwt or application/at+jwt, any
# case; a JWT or a token without typ refused) and AuthJWTResource (RFC
# 8707: aud must hold the resource, besides any AuthJWTAudience), on a
# private httpd, with tokens made by Crypt::JWT. The verified-token cache
# must not carry a token accepted where any typ goes into an at+jwt
# location.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok);
use AuthJWT::Instance qw(jwt_location spew);

my $res = 'https://api.example.test/orders';
my $h = AuthJWT::Instance->new(mpm => 'prefork', children => 1, conf =>
      jwt_location('/any', 'Require valid-jwt')
    . jwt_location('/at', 'AuthJWTTokenType at+jwt', 'Require valid-jwt')
    . jwt_location('/res', "AuthJWTResource $res", 'Require valid-jwt')
    . jwt_location('/res-aud', "AuthJWTResource $res",
                   'AuthJWTAudience client-1', 'Require valid-jwt'));
spew($h->dir . "/htdocs/$_", "ok $_\n") for qw(any at res res-aud);
$h->start;

sub typ_tok {
    my ($typ, %c) = @_;
    return mint(alg => 'HS256', key => 'hs64',
                header => { defined $typ ? (typ => $typ) : () },
                claims => { jti => 'j-' . rand(), %c });
}
sub code { $h->get($_[0], token => $_[1])->code }

# (Crypt::JWT writes no typ unless told: undef below is no typ at all.)
for my $c (['at+jwt', 200], ['application/at+jwt', 200],
           ['application/AT+JWT', 200], ['AT+JWT', 200],
           ['JWT', 401], ['application/jwt', 401], [undef, 401],
           ['at+jwt+x', 401], ['dpop+jwt', 401]) {
    my ($typ, $want) = @$c;
    my $t = typ_tok($typ);
    my $m = $h->log_mark;
    my $name = defined $typ ? "typ $typ" : 'no typ';
    is(code('/at', $t), $want, "AuthJWTTokenType at+jwt, $name: $want");
    if ($want == 401) {
        like($h->log_since($m), qr/AH70006: token refused \(header refused\)/,
             "... logged as a header refusal");
    }
}
{
    my $t = typ_tok('JWT');
    is(code('/any', $t), 200, 'typ JWT where any type goes: 200');
    is(code('/any', $t), 200, '... again (verified-token cache)');
    is(code('/at', $t), 401, '... the cached token at the at+jwt location: '
       . '401');
    my $a = typ_tok('at+jwt');
    is(code('/at', $a), 200, 'typ at+jwt: 200');
    is(code('/at', $a), 200, '... from the cache: 200');
    is(code('/any', $a), 200, '... and where any type goes');
    is(code('/any', typ_tok(undef)), 200, 'no typ where any type goes: 200');
}

# AuthJWTResource
is(code('/res', tok(aud => $res)), 200, 'aud is the resource: 200');
is(code('/res', tok(aud => ['client-1', $res])), 200,
   'aud array holding the resource: 200');
{
    my $m = $h->log_mark;
    my $r = $h->get('/res', token => tok(aud => ['client-1',
                                                 "$res/other"]));
    is($r->code, 401, 'aud without the resource: 401');
    like(scalar $r->header('WWW-Authenticate') // '',
         qr/error="invalid_token"/, '... invalid_token');
    like($h->log_since($m), qr/AH70014: .*aud does not hold this resource (?#
         )\Q$res\E/, '... logged as an audience refusal naming it');
}
is(code('/res', tok()), 401, 'no aud: 401');
is(code('/res', tok(aud => "$res/")), 401,
   'the resource with a trailing slash is another one: 401');
is(code('/res-aud', tok(aud => ['client-1', $res])), 200,
   'AuthJWTAudience and AuthJWTResource both held: 200');
is(code('/res-aud', tok(aud => $res)), 401,
   '... the resource without the audience: 401');
is(code('/res-aud', tok(aud => 'client-1')), 401,
   '... the audience without the resource: 401');
is(code('/any', tok(aud => 'elsewhere')), 200,
   'no AuthJWTResource: any aud');

$h->stop;
done_testing;
