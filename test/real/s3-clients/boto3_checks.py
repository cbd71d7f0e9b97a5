"""S3 conformance checks with boto3, run by test/real/s3-conformance.test.ts against the embedded
S3 server and against MinIO alike. Usage: python boto3_checks.py ENDPOINT ACCESS_KEY SECRET_KEY BUCKET
Prints one JSON object: {"client": "boto3 <version>", "checks": [{"check", "ok", "detail"}]}."""
import hashlib
import json
import sys
import traceback
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, ak, sk, bucket = sys.argv[1:5]
MiB = 1024 * 1024


def client(**cfg):
    return boto3.client('s3', endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk, region_name='us-east-1',
                        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}, **cfg))


s3 = client(signature_version='s3v4')
results = []


def check(name):
    def run(fn):
        try:
            detail = fn()
            results.append({'check': name, 'ok': True, 'detail': detail or ''})
        except Exception as e:  # noqa: BLE001 - every failure is a result
            results.append({'check': name, 'ok': False, 'detail': f'{type(e).__name__}: {e}'[:300]})
        return fn
    return run


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def error_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response['ResponseMetadata']['HTTPStatusCode'], e.response['Error'].get('Code', '')
    return 200, ''


try:
    s3.create_bucket(Bucket=bucket)
except ClientError as e:
    if e.response['Error']['Code'] not in ('BucketAlreadyOwnedByYou', 'BucketAlreadyExists'):
        raise


@check('put/get/head/delete')
def _():
    body = b'hello, conformance'
    s3.put_object(Bucket=bucket, Key='basic/a.txt', Body=body)
    expect(s3.get_object(Bucket=bucket, Key='basic/a.txt')['Body'].read() == body, 'GET returns the bytes PUT')
    h = s3.head_object(Bucket=bucket, Key='basic/a.txt')
    expect(h['ContentLength'] == len(body), 'HEAD size')
    expect(h['ETag'].strip('"') == hashlib.md5(body).hexdigest(), 'ETag is the MD5')
    s3.delete_object(Bucket=bucket, Key='basic/a.txt')
    expect(error_of(lambda: s3.head_object(Bucket=bucket, Key='basic/a.txt'))[0] == 404, 'HEAD after DELETE is 404')


@check('user metadata and content type on GET/HEAD')
def _():
    s3.put_object(Bucket=bucket, Key='meta/m.txt', Body=b'm', ContentType='text/x-fog', Metadata={'colour': 'blue', 'n': '7'})
    h = s3.head_object(Bucket=bucket, Key='meta/m.txt')
    expect(h['Metadata'] == {'colour': 'blue', 'n': '7'}, f'HEAD metadata {h["Metadata"]}')
    expect(h['ContentType'] == 'text/x-fog', f'content type {h["ContentType"]}')
    g = s3.get_object(Bucket=bucket, Key='meta/m.txt')
    expect(g['Metadata'] == {'colour': 'blue', 'n': '7'}, f'GET metadata {g["Metadata"]}')


@check('copy keeps metadata (COPY), replaces it (REPLACE)')
def _():
    s3.put_object(Bucket=bucket, Key='copy/src', Body=b'c', ContentType='text/x-src', Metadata={'k': 'src'})
    s3.copy_object(Bucket=bucket, Key='copy/kept', CopySource={'Bucket': bucket, 'Key': 'copy/src'})
    kept = s3.head_object(Bucket=bucket, Key='copy/kept')
    expect(kept['Metadata'] == {'k': 'src'} and kept['ContentType'] == 'text/x-src', f'COPY kept {kept["Metadata"]} {kept["ContentType"]}')
    s3.copy_object(Bucket=bucket, Key='copy/replaced', CopySource={'Bucket': bucket, 'Key': 'copy/src'}, MetadataDirective='REPLACE',
                   Metadata={'k': 'new'}, ContentType='text/x-new')
    rep = s3.head_object(Bucket=bucket, Key='copy/replaced')
    expect(rep['Metadata'] == {'k': 'new'} and rep['ContentType'] == 'text/x-new', f'REPLACE gave {rep["Metadata"]} {rep["ContentType"]}')
    expect(s3.get_object(Bucket=bucket, Key='copy/replaced')['Body'].read() == b'c', 'copied bytes')


@check('list v2 with prefix and delimiter')
def _():
    for k in ['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'other/x']:
        s3.put_object(Bucket=bucket, Key=k, Body=b'.')
    r = s3.list_objects_v2(Bucket=bucket, Prefix='list/', Delimiter='/')
    keys = [o['Key'] for o in r.get('Contents', [])]
    prefixes = [p['Prefix'] for p in r.get('CommonPrefixes', [])]
    expect(keys == ['list/c'] and prefixes == ['list/a/', 'list/b/'], f'keys {keys} prefixes {prefixes}')
    page = s3.list_objects_v2(Bucket=bucket, Prefix='list/', MaxKeys=2)
    expect(page['IsTruncated'] and page['KeyCount'] == 2, 'max-keys pages')
    rest = s3.list_objects_v2(Bucket=bucket, Prefix='list/', ContinuationToken=page['NextContinuationToken'])
    expect([o['Key'] for o in rest['Contents']] == ['list/b/1', 'list/c'], 'continuation')


@check('multipart: create, parts, list parts, list uploads, complete')
def _():
    up = s3.create_multipart_upload(Bucket=bucket, Key='mp/big', ContentType='text/x-mp', Metadata={'mp': 'yes'})
    uid = up['UploadId']
    p1 = s3.upload_part(Bucket=bucket, Key='mp/big', UploadId=uid, PartNumber=1, Body=b'a' * (5 * MiB))
    p2 = s3.upload_part(Bucket=bucket, Key='mp/big', UploadId=uid, PartNumber=2, Body=b'b' * 1000)
    parts = s3.list_parts(Bucket=bucket, Key='mp/big', UploadId=uid)['Parts']
    expect([(p['PartNumber'], p['Size'], p['ETag']) for p in parts] == [(1, 5 * MiB, p1['ETag']), (2, 1000, p2['ETag'])], f'parts {parts}')
    uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix='mp/big').get('Uploads', [])
    expect([(u['Key'], u['UploadId']) for u in uploads] == [('mp/big', uid)], f'uploads {uploads}')
    s3.complete_multipart_upload(Bucket=bucket, Key='mp/big', UploadId=uid,
                                 MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p1['ETag']}, {'PartNumber': 2, 'ETag': p2['ETag']}]})
    h = s3.head_object(Bucket=bucket, Key='mp/big')
    expect(h['ContentLength'] == 5 * MiB + 1000 and h['ETag'].endswith('-2"'), f'size {h["ContentLength"]} etag {h["ETag"]}')
    expect(h['Metadata'] == {'mp': 'yes'} and h['ContentType'] == 'text/x-mp', f'upload metadata {h["Metadata"]}')
    expect(not s3.list_multipart_uploads(Bucket=bucket, Prefix='mp/big').get('Uploads'), 'no upload pending after complete')


@check('multipart: abort')
def _():
    uid = s3.create_multipart_upload(Bucket=bucket, Key='mp/aborted')['UploadId']
    s3.upload_part(Bucket=bucket, Key='mp/aborted', UploadId=uid, PartNumber=1, Body=b'x')
    s3.abort_multipart_upload(Bucket=bucket, Key='mp/aborted', UploadId=uid)
    expect(error_of(lambda: s3.list_parts(Bucket=bucket, Key='mp/aborted', UploadId=uid)) == (404, 'NoSuchUpload'), 'parts of an aborted upload: NoSuchUpload')


@check('multipart: a small non-final part is EntityTooSmall')
def _():
    uid = s3.create_multipart_upload(Bucket=bucket, Key='mp/small')['UploadId']
    e1 = s3.upload_part(Bucket=bucket, Key='mp/small', UploadId=uid, PartNumber=1, Body=b'x' * 100)['ETag']
    e2 = s3.upload_part(Bucket=bucket, Key='mp/small', UploadId=uid, PartNumber=2, Body=b'y' * 100)['ETag']
    err = error_of(lambda: s3.complete_multipart_upload(Bucket=bucket, Key='mp/small', UploadId=uid,
                                                        MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]}))
    s3.abort_multipart_upload(Bucket=bucket, Key='mp/small', UploadId=uid)
    expect(err == (400, 'EntityTooSmall'), f'complete answered {err}')


@check('presigned GET')
def _():
    s3.put_object(Bucket=bucket, Key='presign/p.txt', Body=b'presigned')
    url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'presign/p.txt'}, ExpiresIn=300)
    expect(urllib.request.urlopen(url).read() == b'presigned', 'bytes through the URL')
    try:
        urllib.request.urlopen(url.replace('Signature=', 'Signature=0'))
        raise AssertionError('a tampered URL was served')
    except urllib.error.HTTPError as e:
        expect(e.code == 403, f'tampered URL: {e.code}')


@check('ranges')
def _():
    s3.put_object(Bucket=bucket, Key='range/r', Body=b'0123456789')
    r = s3.get_object(Bucket=bucket, Key='range/r', Range='bytes=2-5')
    expect(r['Body'].read() == b'2345' and r['ContentRange'] == 'bytes 2-5/10', 'bytes=2-5')
    expect(s3.get_object(Bucket=bucket, Key='range/r', Range='bytes=-3')['Body'].read() == b'789', 'suffix range')
    expect(error_of(lambda: s3.get_object(Bucket=bucket, Key='range/r', Range='bytes=20-'))[0] == 416, 'range past the end: 416')


@check('PUT with a CRC32 checksum (over http boto3 sends it as a header)')
def _():
    body = b'z' * (300 * 1024)
    s3c = client(signature_version='s3v4', request_checksum_calculation='when_supported')
    s3c.put_object(Bucket=bucket, Key='stream/s', Body=body, ChecksumAlgorithm='CRC32')
    got = s3.get_object(Bucket=bucket, Key='stream/s')['Body'].read()
    expect(got == body, f'stored {len(got)} bytes of {len(body)}')


BAD_KEYS = ['x/../../conf-evil', '../fogsim.db', './x/./y', 'a/.', 'a//b', 'k' * 1025]


@check('bad keys rejected with 400')
def _():
    answers = {}
    for key in BAD_KEYS:
        answers[key[:20]] = error_of(lambda: s3.put_object(Bucket=bucket, Key=key, Body=b'evil'))
    bad = {k: v for k, v in answers.items() if v[0] != 400}
    expect(not bad, f'accepted or not 400: {bad}')
    names = [b['Name'] for b in s3.list_buckets()['Buckets']]
    expect('conf-evil' not in names and 'fogsim.db' not in names, f'buckets {names}')
    return ', '.join(sorted({v[1] for v in answers.values()}))


@check('unsupported subresources never answer the object')
def _():
    s3.put_object(Bucket=bucket, Key='sub/t', Body=b'OBJECT-BYTES')
    for name, fn in [('tagging', lambda: s3.get_object_tagging(Bucket=bucket, Key='sub/t')),
                     ('acl', lambda: s3.get_object_acl(Bucket=bucket, Key='sub/t'))]:
        try:
            r = fn()
            expect(b'OBJECT-BYTES' not in json.dumps(r, default=str).encode(), f'{name} answered the object')
        except ClientError as e:
            status = e.response['ResponseMetadata']['HTTPStatusCode']
            expect(status == 501 and e.response['Error']['Code'] == 'NotImplemented', f'{name}: {status} {e.response["Error"]}')
        except botocore.exceptions.BotoCoreError as e:
            raise AssertionError(f'{name}: unparsable answer ({e})')


@check('SigV2 header auth and presigned URL (signature_version "s3")')
def _():
    v2 = client(signature_version='s3')
    s3.put_object(Bucket=bucket, Key='v2/o', Body=b'v2 bytes', Metadata={'v': '2'})
    expect(v2.head_object(Bucket=bucket, Key='v2/o')['Metadata'] == {'v': '2'}, 'HEAD with SigV2')
    v2.put_object(Bucket=bucket, Key='v2/p', Body=b'put by v2', ContentType='text/x-v2')
    expect(s3.get_object(Bucket=bucket, Key='v2/p')['Body'].read() == b'put by v2', 'PUT with SigV2')
    url = v2.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'v2/o'}, ExpiresIn=300)
    expect('AWSAccessKeyId=' in url and urllib.request.urlopen(url).read() == b'v2 bytes', f'SigV2 URL {url[:80]}')
    wrong = boto3.client('s3', endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk + 'x', region_name='us-east-1',
                         config=Config(signature_version='s3', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
    expect(error_of(lambda: wrong.head_object(Bucket=bucket, Key='v2/o'))[0] == 403, 'a wrong secret is refused')


print(json.dumps({'client': f'boto3 {boto3.__version__}', 'checks': results}))
