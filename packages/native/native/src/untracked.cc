/*
 * The companion addon rotortree_untracked: ArrayBuffers over mmap'd memory that V8 does not count
 * as external memory. Built per Node ABI (it calls V8's C++ API, which changes between majors);
 * its exports are plain N-API: { abi: NODE_MODULE_VERSION it was built for, table: External of an
 * rt_untracked_table }, and the loader hands the table to rotortree_native only when `abi` equals
 * the running Node's (a V8 call into another major would fail at its first call, not at load).
 *
 * N-API's external ArrayBuffers carry a deleter, and V8 counts a buffer with a deleter as external
 * memory of the isolate: a segment mapped at open (tens of MB to GBs, pages not even resident)
 * made every later allocation run a scavenge ("external memory pressure"), and large ones a full
 * mark-compact, at every open. A backing store with V8's EmptyDeleter is not counted. The mapping
 * is then owned by the napi_wrap finalizer of the ArrayBuffer object (see mapping.c), so the buffer
 * must never move to another ArrayBuffer object: it gets a detach key (itself), so that only
 * unmap() can detach it. A transfer (postMessage or structuredClone with a transfer list) of a
 * mapped buffer is refused by V8 and Node 20 turns that into a fatal error at the transfer: a
 * clear stop at the misuse, where an unkeyed buffer would be read after its unmap later.
 *
 * napi_value and v8::Local<v8::Value> are the same pointer-sized handle in Node (see Node's
 * js_native_api_v8.h, JsValueFromV8LocalValue): the two helpers below convert between them.
 */
#include <node_api.h>
#include <node_version.h>
#include <v8.h>

#include <cstring>

#include "rotortree/untracked.h"

namespace {

napi_value to_napi(v8::Local<v8::Value> local) {
  return reinterpret_cast<napi_value>(*local);
}

v8::Local<v8::Value> to_v8(napi_value v) {
  v8::Local<v8::Value> local;
  std::memcpy(static_cast<void *>(&local), &v, sizeof v);
  return local;
}

napi_value make_untracked(void *data, size_t length) {
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return nullptr;
  std::unique_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(data, length, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> ab = v8::ArrayBuffer::New(isolate, std::move(store));
  ab->SetDetachKey(ab);
  return to_napi(ab);
}

bool detach_untracked(napi_value value) {
  v8::Local<v8::Value> local = to_v8(value);
  if (!local->IsArrayBuffer()) return false;
  v8::Local<v8::ArrayBuffer> ab = local.As<v8::ArrayBuffer>();
  return ab->Detach(ab).FromMaybe(false);
}

const rt_untracked_table table = {RT_UNTRACKED_MAGIC, RT_UNTRACKED_VERSION, make_untracked, detach_untracked};

}  // namespace

NAPI_MODULE_INIT() {
  napi_value abi, external;
  if (napi_create_uint32(env, NODE_MODULE_VERSION, &abi) != napi_ok ||
      napi_set_named_property(env, exports, "abi", abi) != napi_ok ||
      napi_create_external(env, const_cast<rt_untracked_table *>(&table), nullptr, nullptr, &external) != napi_ok ||
      napi_set_named_property(env, exports, "table", external) != napi_ok)
    return nullptr;
  return exports;
}
