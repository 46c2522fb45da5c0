/*
 * ArrayBuffers over mmap'd memory that V8 does not count as external memory.
 *
 * N-API's external ArrayBuffers carry a deleter, and V8 counts a buffer with a deleter as external
 * memory of the isolate: a segment mapped at open (tens of MB to GBs, pages not even resident)
 * made every later allocation run a scavenge ("external memory pressure"), and large ones a full
 * mark-compact, at every open. A backing store with V8's EmptyDeleter is not counted. The mapping
 * is then owned by the napi_wrap finalizer of the ArrayBuffer object (see mmap.c), so the buffer
 * must never move to another ArrayBuffer object: it gets a detach key (itself), so that only
 * unmap() can detach it. A transfer (postMessage or structuredClone with a transfer list) of a
 * mapped buffer is refused by V8 and Node 20 turns that into a fatal error at the transfer: a
 * clear stop at the misuse, where an unkeyed buffer would be read after its unmap later.
 *
 * napi_value and v8::Local<v8::Value> are the same pointer-sized handle in Node (see Node's
 * js_native_api_v8.h, JsValueFromV8LocalValue): the two helpers below convert between them.
 */
#include <node_api.h>
#include <v8.h>

#include <cstring>

namespace {

napi_value to_napi(v8::Local<v8::Value> local) {
  return reinterpret_cast<napi_value>(*local);
}

v8::Local<v8::Value> to_v8(napi_value v) {
  v8::Local<v8::Value> local;
  std::memcpy(static_cast<void *>(&local), &v, sizeof v);
  return local;
}

}  // namespace

extern "C" napi_value rt_untracked_arraybuffer(void *data, size_t length) {
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return nullptr;
  std::unique_ptr<v8::BackingStore> store =
      v8::ArrayBuffer::NewBackingStore(data, length, v8::BackingStore::EmptyDeleter, nullptr);
  v8::Local<v8::ArrayBuffer> ab = v8::ArrayBuffer::New(isolate, std::move(store));
  ab->SetDetachKey(ab);
  return to_napi(ab);
}

extern "C" bool rt_detach_untracked(napi_value value) {
  v8::Local<v8::Value> local = to_v8(value);
  if (!local->IsArrayBuffer()) return false;
  v8::Local<v8::ArrayBuffer> ab = local.As<v8::ArrayBuffer>();
  return ab->Detach(ab).FromMaybe(false);
}
